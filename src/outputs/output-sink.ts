import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RecordBatch, Schema } from 'apache-arrow';
import { commitFile, removeQuietly, stagedPathFor } from '../core/atomic-file.js';
import type { AnyOutputDefinition } from '../core/component-definition.js';
import type { ComponentContext } from '../core/context.js';
import { SluiceError, throwIfAborted } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import type { Sink, StagedFile, StagedTable } from '../core/sink.js';
import type { ReleaseGateConfig } from '../policy/policy-schema.js';
import type { BatchStage } from './batch-stage.js';
import { CHAT_SCHEMA, ChatTemplate } from './chat-template.js';
import { Profiler } from './column-profile.js';
import { DATASET_CARD } from './dataset-card.js';
import { DedupStage } from './dedup-stage.js';
import { NearDedupStage } from './near-dedup-stage.js';
import { hasStages, type OutputStages, usesDatasetLayout } from './output-options.js';
import { ReleaseGate } from './release-gate.js';
import { FractionSampleStage, RowsSampleStage } from './sample-stage.js';
import { removeStaleShards, ShardedWriter } from './sharded-writer.js';
import { DEFAULT_SPLIT_KEY, SplitAssigner } from './split-assigner.js';
import { StratifiedRowsSampleStage } from './stratified-sample-stage.js';
import { selectedRows, takeRows } from './take-rows.js';
import { TextStage } from './text-stage.js';
import { compileWhere } from './where-predicate.js';
import { WhereStage } from './where-stage.js';

/** What `createOutputSink` needs to know about one planned output. */
export interface OutputTarget {
  /** Output name used in events, e.g. `outputs[0]`. */
  name: string;
  config: OutputStages & { format: string; path?: string | undefined };
  definition: AnyOutputDefinition;
  /** Absolute path: a file, or the dataset directory when splits or shards are used; absent for a table. */
  path?: string | undefined;
  /** Set for an output that writes a table: the config of the connection it writes into. */
  table?: { connectionConfig: { type: string } } | undefined;
}

const EXTENSIONS: Record<string, string> = { parquet: 'parquet', jsonl: 'jsonl', csv: 'csv', arrow: 'arrow' };

/**
 * The sink for one output: the format's own sink when the output uses no training-set stage and
 * the policy has no release gate, else a sink that runs where → text → dedup → near-dedup → sample → split
 * over each batch, writes each split as shards and runs the gate before anything is committed.
 * Such a sink has no `writeQuery`, so the engine's direct Parquet path is not used for it.
 */
export function createOutputSink(
  target: OutputTarget,
  ctx: ComponentContext,
  events: EventBus,
  gate?: ReleaseGateConfig | undefined,
): Sink {
  if (!hasStages(target.config) && gate === undefined) return createFormatSink(target, target.path, ctx);
  return new StagedOutputSink(target, ctx, events, gate);
}

/** The format's own sink, writing `path`, or the table of an output with a `target`. */
function createFormatSink(target: OutputTarget, path: string | undefined, ctx: ComponentContext): Sink {
  if (target.table) return target.definition.create(target.config, ctx, target.table.connectionConfig);
  return target.definition.create({ ...target.config, path }, ctx);
}

/** Where a quarantined output's gate report goes: beside the file or dataset directory. */
export function quarantineReportPath(path: string): string {
  return `${path}.quarantined.json`;
}

/** Checks the columns the stages name exist in `schema`; throws SCHEMA_MISMATCH naming the first. */
function checkColumns(schema: Schema, names: string[], key: string, what: string): void {
  const have = new Set(schema.fields.map((f) => f.name));
  for (const name of names) {
    if (!have.has(name)) {
      throw new SluiceError(
        'SCHEMA_MISMATCH',
        `The column \`${name}\` named in \`${key}\` of ${what} is not in the output. Columns: ${schema.fields.map((f) => `\`${f.name}\``).join(', ')}.`,
      );
    }
  }
}

class StagedOutputSink implements Sink {
  readonly #target: OutputTarget;
  readonly #ctx: ComponentContext;
  readonly #events: EventBus;
  readonly #what: string;
  #stages: BatchStage[] = [];
  #assigner: SplitAssigner | undefined;
  #writers: ShardedWriter[] = [];
  #single: Sink | undefined;
  #template: ChatTemplate | undefined;
  #profiler: Profiler | undefined;
  readonly #gateConfig: ReleaseGateConfig | undefined;
  #gate: ReleaseGate | undefined;
  #report: StagedFile | undefined;

  constructor(
    target: OutputTarget,
    ctx: ComponentContext,
    events: EventBus,
    gate: ReleaseGateConfig | undefined,
  ) {
    this.#gateConfig = gate;
    this.#target = target;
    this.#ctx = ctx;
    this.#events = events;
    this.#what = `output \`${target.config.path ?? target.name}\``;
  }

  async open(schema: Schema, signal: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    const { config, path } = this.#target;
    if (config.dedup?.columns) checkColumns(schema, config.dedup.columns, 'dedup.columns', this.#what);
    if (config.sample?.by) checkColumns(schema, config.sample.by, 'sample.by', this.#what);
    if (config.sample?.stratify_by !== undefined)
      checkColumns(schema, [config.sample.stratify_by], 'sample.stratify_by', this.#what);
    // Filter first, so every later stage (dedup, sampling, split) sees only the kept rows.
    if (config.where !== undefined)
      this.#stages.push(new WhereStage(await compileWhere(config.where, schema)));
    if (config.template) {
      this.#template = new ChatTemplate(config.template);
      this.#template.check(schema, config.format, this.#what);
    }
    if (config.text) checkColumns(schema, config.text.columns, 'text.columns', this.#what);
    if (config.dedup?.near) checkColumns(schema, [config.dedup.near.column], 'dedup.near.column', this.#what);
    const all = schema.fields.map((f) => f.name);
    if (config.text) {
      const t = config.text;
      this.#stages.push(
        new TextStage({
          columns: t.columns,
          normalize: t.normalize,
          maxChars: t.max_chars,
          maxTokens: t.max_tokens,
          onTooLong: t.on_too_long,
        }),
      );
    }
    if (config.dedup) this.#stages.push(new DedupStage(config.dedup.columns ?? all));
    const near = config.dedup?.near;
    if (near) this.#stages.push(new NearDedupStage(near.column, near.threshold, near.shingle_chars));
    const sample = config.sample;
    if (sample?.fraction !== undefined)
      this.#stages.push(new FractionSampleStage(sample.fraction, sample.seed, sample.by));
    else if (sample?.rows !== undefined && sample.stratify_by !== undefined)
      this.#stages.push(
        new StratifiedRowsSampleStage(sample.rows, sample.seed, sample.stratify_by, sample.by),
      );
    else if (sample?.rows !== undefined)
      this.#stages.push(new RowsSampleStage(sample.rows, sample.seed, sample.by));
    if (config.split) {
      const key =
        config.split.key_id === undefined ? DEFAULT_SPLIT_KEY : await this.#ctx.keys.get(config.split.key_id);
      this.#assigner = new SplitAssigner(config.split.by, config.split.parts, key);
      this.#assigner.check(schema, this.#what);
    }
    const create = (p: string | undefined) => createFormatSink(this.#target, p, this.#ctx);
    const written = this.#template ? CHAT_SCHEMA : schema;
    if (config.profile) this.#profiler = new Profiler(schema);
    if (this.#gateConfig) this.#gate = new ReleaseGate(this.#gateConfig, schema);
    if (!usesDatasetLayout(config)) {
      this.#single = create(path);
      await this.#single.open(written, signal);
      return;
    }
    const ext = EXTENSIONS[config.format] ?? config.format;
    const splits = this.#assigner?.names ?? ['train'];
    this.#writers = splits.map(
      (split) =>
        new ShardedWriter({
          split,
          dataDir: join(path ?? '', 'data'),
          ext,
          create,
          maxRows: config.max_rows_per_file,
          maxBytes: config.max_bytes_per_file,
        }),
    );
    for (const w of this.#writers) await w.open(written, signal);
  }

  async write(batch: RecordBatch, signal: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    let batches = [batch];
    for (const stage of this.#stages) batches = batches.flatMap((b) => stage.push(b));
    for (const b of batches) await this.#route(b, signal);
  }

  async finish(signal: AbortSignal): Promise<StagedFile[]> {
    throwIfAborted(signal);
    for (let s = 0; s < this.#stages.length; s++) {
      let batches = (this.#stages[s] as BatchStage).flush();
      for (const stage of this.#stages.slice(s + 1)) batches = batches.flatMap((b) => stage.push(b));
      for (const b of batches) await this.#route(b, signal);
    }
    for (const stage of [...this.#stages, ...(this.#template ? [this.#template] : [])]) {
      for (const drop of stage.drops()) {
        this.#events.emit({ type: 'rows_dropped', output: this.#target.name, ...drop });
      }
    }
    if (this.#profiler) {
      const columns = this.#profiler.result();
      this.#events.emit({ type: 'profile', output: this.#target.name, rows: columns[0]?.rows ?? 0, columns });
    }
    const staged: StagedFile[] = [];
    if (this.#single) staged.push(...(await this.#single.finish(signal)));
    for (const w of this.#writers) staged.push(...(await w.finish(signal)));
    await this.#checkGate(staged);
    const split = this.#target.config.split;
    if (split) {
      const total = Object.values(split.parts).reduce((a, b) => a + b, 0);
      this.#events.emit({
        type: 'split_assigned',
        output: this.#target.name,
        column: split.by,
        ...(split.key_id === undefined ? {} : { key_id: split.key_id }),
        parts: this.#writers.map((w) => ({
          name: w.split,
          weight: (split.parts[w.split] ?? 0) / total,
          rows: w.rows,
          files: w.files.length,
        })),
      });
    }
    return staged;
  }

  async commit(): Promise<void> {
    // A table output has no directory for the report: its verdict is in the manifest.
    const report = this.#target.path === undefined ? undefined : quarantineReportPath(this.#target.path);
    if (report === undefined) return this.#single?.commit();
    if (this.#report) await commitFile(this.#report.tempPath, report);
    else if (this.#gate) await removeQuietly(report);
    if (this.#single) return this.#single.commit();
    // The old card describes the old shards: it goes before they are replaced, and the run writes
    // the new one once the manifest is written (`writeDatasetCards`).
    if (this.#target.path !== undefined) await removeQuietly(join(this.#target.path, DATASET_CARD));
    for (const w of this.#writers) await w.commit();
    // Anything else of the shard pattern in `data/` is from an older run.
    const written = new Set(this.#writers.flatMap((w) => w.files.map((f) => f.path)));
    await removeStaleShards(join(this.#target.path ?? '', 'data'), written);
  }

  stagedTable(): StagedTable | undefined {
    return this.#single?.stagedTable?.();
  }

  async abort(): Promise<void> {
    if (this.#report) await removeQuietly(this.#report.tempPath);
    await this.#single?.abort().catch(() => undefined);
    await Promise.all(this.#writers.map((w) => w.abort()));
  }

  /** Runs the release gate on what was written: fails the run, or stages a quarantine report. */
  async #checkGate(staged: StagedFile[]): Promise<void> {
    if (!this.#gate) return;
    const report = this.#gate.report();
    this.#events.emit({ type: 'release_gate', output: this.#target.name, ...report });
    if (report.verdict === 'fail') {
      throw new SluiceError(
        'POLICY_DENIED',
        `The release gate stopped ${this.#what}: ${report.reasons.join(' ')} Mask or drop those columns, generalise the quasi-identifiers, or ask the policy owners to change \`release_gate\`. Nothing was committed.`,
        { context: { output: this.#target.name, reasons: report.reasons.length } },
      );
    }
    if (report.verdict === 'quarantined' && this.#target.path !== undefined) {
      const path = quarantineReportPath(this.#target.path);
      const tempPath = stagedPathFor(path, this.#ctx.runId);
      await writeFile(tempPath, `${JSON.stringify({ output: this.#target.name, ...report }, null, 2)}\n`);
      this.#report = { tempPath, path, rows: 0 };
      staged.push(this.#report);
    }
  }

  async #route(batch: RecordBatch, signal: AbortSignal): Promise<void> {
    if (batch.numRows === 0) return;
    if (this.#single) return this.#single.write(this.#shape(batch), signal);
    if (!this.#assigner) return (this.#writers[0] as ShardedWriter).write(this.#shape(batch), signal);
    const parts = this.#assigner.assign(batch);
    for (const [p, writer] of this.#writers.entries()) {
      const keep = new Uint8Array(parts.length);
      let n = 0;
      for (let i = 0; i < parts.length; i++) {
        if (parts[i] === p) {
          keep[i] = 1;
          n++;
        }
      }
      if (n === 0) continue;
      const part = n === batch.numRows ? batch : takeRows(batch, selectedRows(keep, parts.length));
      await writer.write(this.#shape(part), signal);
    }
  }

  /** The rows as written: the chat template's `messages` when there is one. */
  #shape(batch: RecordBatch): RecordBatch {
    this.#profiler?.add(batch);
    this.#gate?.add(batch);
    return this.#template ? this.#template.apply(batch) : batch;
  }
}
