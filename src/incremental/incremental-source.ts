import type { RecordBatch, Schema } from 'apache-arrow';
import type { AnyConnectionDefinition, WatermarkLiteral } from '../core/component-definition.js';
import { SluiceError } from '../core/errors.js';
import type { EventBus, EventOf } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import type { Source } from '../core/source.js';
import { bindWatermark, type IncrementalQuery, incrementalQuery } from './incremental-query.js';
import { durationMs, type IncrementalConfig } from './incremental-schema.js';
import { type SourceWatermarkState, sourceFingerprint } from './incremental-state.js';
import {
  isNumericKind,
  numberToText,
  sameWatermarkType,
  textToNumber,
  WatermarkTracker,
  type WatermarkType,
  watermarkTypeOf,
} from './watermark.js';

export interface IncrementalSourceOptions {
  name: string;
  connection: string;
  connectionType: string;
  definition: AnyConnectionDefinition;
  config: IncrementalConfig;
  /** The source's own query (its `query`, or the SELECT of its `table`). */
  query: string;
  /** The state committed by the last successful run, if any. */
  previous?: SourceWatermarkState | undefined;
  fullRefresh?: boolean | undefined;
  /** The run extracts one shard (`--shard`): the wrapper's ORDER BY no longer reaches the tracker. */
  sharded?: boolean | undefined;
  logger?: Logger | undefined;
}

type Start = Pick<EventOf<'source_watermark'>, 'mode' | 'reason'> & { from: string[] | null };

/**
 * One incremental source of a run: the query to authorize (wrapped with the watermark predicate),
 * the bound query to run, the column checks, and the watermark the run read up to.
 */
export class IncrementalSource {
  readonly name: string;
  readonly config: IncrementalConfig;
  readonly fingerprint: string;
  /** The query to authorize: the source query wrapped, with the watermark as `$n` placeholders. */
  readonly query: IncrementalQuery;
  readonly #options: IncrementalSourceOptions;
  readonly #start: Start;
  #types: WatermarkType[] | undefined;
  #tracker: WatermarkTracker | undefined;
  #finished: string[] | null | undefined;

  constructor(options: IncrementalSourceOptions) {
    this.#options = options;
    this.name = options.name;
    this.config = options.config;
    this.fingerprint = sourceFingerprint({
      connection: options.connection,
      query: options.query,
      column: options.config.column,
      tiebreaker: options.config.tiebreaker,
    });
    this.#start = this.#decideStart();
    const { column, tiebreaker } = options.config;
    this.query = incrementalQuery(options.query, column, tiebreaker, this.#start.mode === 'incremental');
  }

  #decideStart(): Start {
    const { previous, fullRefresh, logger, name } = this.#options;
    if (fullRefresh) return { mode: 'full', reason: 'full_refresh', from: null };
    if (previous === undefined || previous.watermark === null)
      return { mode: 'full', reason: 'first_run', from: null };
    if (previous.fingerprint !== this.fingerprint) {
      logger?.warn(
        `Source \`${name}\`: its connection, query, watermark column or tiebreaker changed since the last committed watermark; reading every row again (full reload).`,
      );
      return { mode: 'full', reason: 'source_changed', from: null };
    }
    return { mode: 'incremental', from: previous.watermark };
  }

  get mode(): 'full' | 'incremental' {
    return this.#start.mode;
  }

  /** The columns the watermark is made of. */
  get columns(): string[] {
    const { column, tiebreaker } = this.config;
    return tiebreaker === undefined ? [column] : [column, tiebreaker];
  }

  /** A problem that stops this source before anything connects, or undefined. */
  preflight(): string | undefined {
    if (!this.#options.definition.watermarkLiteral)
      return `Connection type \`${this.#options.connectionType}\` cannot read incrementally. Remove \`incremental\` from source \`${this.name}\`.`;
    return undefined;
  }

  /**
   * Puts the committed watermark into the authorized query. Fails closed when the watermark
   * column or tiebreaker is masked (by the policy or the pipeline): its values would be stored in
   * the state file and the manifest.
   */
  async bind(authorizedQuery: string, masked: Set<string>): Promise<string> {
    for (const column of this.columns) {
      if (masked.has(column)) {
        throw new SluiceError(
          'POLICY_DENIED',
          `Source \`${this.name}\`: the watermark column \`${column}\` is masked, so it is sensitive; its values would be stored in the incremental state and the manifest. Use a non-sensitive column such as a modification timestamp or a sequence id.`,
          { context: { source: this.name, column } },
        );
      }
    }
    const from = this.#start.from;
    if (this.#start.mode === 'full' || from === null) return authorizedQuery;
    const types = (this.#options.previous as SourceWatermarkState).types as WatermarkType[];
    const render = this.#options.definition.watermarkLiteral as (w: WatermarkLiteral) => string;
    const values = from.map((value, i) =>
      i === 0 ? this.#lookBack(value, types[0] as WatermarkType) : value,
    );
    const literals = values.map((value, i) => {
      const type = types[i] as WatermarkType;
      const watermark: WatermarkLiteral = { ...type, value };
      return { literal: render(watermark), value };
    });
    return bindWatermark(authorizedQuery, literals, this.query.placeholders);
  }

  #lookBack(value: string, type: WatermarkType): string {
    const lookback = this.config.lookback;
    if (lookback === undefined) return value;
    const problem = lookbackProblem(lookback, type);
    if (problem) throw new SluiceError('CONFIG_INVALID', `Source \`${this.name}\`: ${problem}`);
    const n = textToNumber(value, type);
    if (type.kind === 'integer') return numberToText(n - BigInt(lookback as number), type);
    const ms = durationMs(lookback as string);
    if (type.kind === 'date') return numberToText(n - BigInt(Math.ceil(ms / 86_400_000)), type);
    const perSecond = {
      second: 1n,
      millisecond: 1_000n,
      microsecond: 1_000_000n,
      nanosecond: 1_000_000_000n,
    }[type.unit ?? 'microsecond'];
    return numberToText(n - (BigInt(ms) * perSecond) / 1000n, type);
  }

  /** Added to a describe failure: the query ran wrapped with the watermark predicate. */
  describeHint(): string {
    const named = this.columns.map((c) => `\`${c}\``).join(' and ');
    return `Source \`${this.name}\` is incremental: its query must return ${named} (\`incremental\`).`;
  }

  /** Checks the watermark columns against the schema the source describes; returns the problems. */
  check(schema: Schema): string[] {
    const types: WatermarkType[] = [];
    const problems: string[] = [];
    const names = schema.fields.map((f) => `\`${f.name}\``).join(', ');
    for (const [i, column] of this.columns.entries()) {
      const key = i === 0 ? 'column' : 'tiebreaker';
      const field = schema.fields.find((f) => f.name === column);
      if (!field) {
        problems.push(
          `The incremental ${key} \`${column}\` is not a column of source \`${this.name}\`. Columns: ${names}.`,
        );
        continue;
      }
      const type = watermarkTypeOf(field.type);
      if (!type) {
        problems.push(
          `The incremental ${key} \`${column}\` of source \`${this.name}\` has type \`${field.type}\`, which cannot hold a watermark. Use an integer, timestamp, timestamptz, date or text column.`,
        );
        continue;
      }
      types.push(type);
    }
    if (problems.length > 0) return problems;
    const lookback = this.config.lookback;
    const problem = lookback === undefined ? undefined : lookbackProblem(lookback, types[0] as WatermarkType);
    if (problem) problems.push(`Source \`${this.name}\`: ${problem}`);
    const stored = this.#options.previous?.types as WatermarkType[] | undefined;
    if (
      this.#start.mode === 'incremental' &&
      stored &&
      (stored.length !== types.length ||
        stored.some((t, i) => !sameWatermarkType(t, types[i] as WatermarkType)))
    ) {
      problems.push(
        `The type of the watermark column \`${this.config.column}\` of source \`${this.name}\` changed since the last committed watermark. Run with \`--full-refresh\` to read every row again.`,
      );
    }
    const tracker = new WatermarkTracker(this.columns, types);
    if (tracker.byOrder && this.#options.sharded) {
      problems.push(
        `Source \`${this.name}\` has a text watermark column or tiebreaker, which cannot be combined with \`--shard\`. Use an integer or timestamp watermark, or run it unsharded.`,
      );
    }
    this.#types = types;
    this.#tracker = tracker;
    return problems;
  }

  /**
   * The source, observing the watermark columns of every batch it yields; when it has read to the
   * end it emits `source_watermark` with the range read.
   */
  wrap(source: Source, events: EventBus): Source {
    const tracked = this;
    return {
      name: source.name,
      query: source.query,
      describe: (signal) => source.describe(signal),
      async *read(signal: AbortSignal): AsyncGenerator<RecordBatch> {
        const tracker = tracked.#tracker;
        if (!tracker)
          throw new SluiceError('INTERNAL', `Source \`${tracked.name}\` was read before it was checked.`);
        for await (const batch of source.read(signal)) {
          tracker.observe(batch);
          yield batch;
        }
        tracked.#finished = tracked.#advance(tracker.value());
        const { column, tiebreaker } = tracked.config;
        events.emit({
          type: 'source_watermark',
          source: tracked.name,
          column,
          ...(tiebreaker === undefined ? {} : { tiebreaker }),
          mode: tracked.#start.mode,
          ...(tracked.#start.reason === undefined ? {} : { reason: tracked.#start.reason }),
          from: tracked.#start.from,
          to: tracked.#finished,
        });
      },
      ...(source.snapshot ? { snapshot: () => source.snapshot?.() } : {}),
      close: () => source.close(),
    };
  }

  /** The new watermark: the largest read, never below the one the run started from (lookback). */
  #advance(read: string[] | undefined): string[] | null {
    const from = this.#start.from;
    if (read === undefined) return from;
    if (from === null || this.config.lookback === undefined) return read;
    const type = (this.#types as WatermarkType[])[0] as WatermarkType;
    return textToNumber(read[0] as string, type) > textToNumber(from[0] as string, type) ? read : from;
  }

  /** The state to commit once the run succeeded; undefined when the source was not read to its end. */
  committed(runId: string, committedAt: string): SourceWatermarkState | undefined {
    if (this.#finished === undefined || this.#types === undefined) return undefined;
    const { column, tiebreaker } = this.config;
    return {
      fingerprint: this.fingerprint,
      connection: this.#options.connection,
      column,
      ...(tiebreaker === undefined ? {} : { tiebreaker }),
      types: this.#types,
      watermark: this.#finished,
      run_id: runId,
      committed_at: committedAt,
    };
  }
}

function lookbackProblem(lookback: number | string, type: WatermarkType): string | undefined {
  if (!isNumericKind(type.kind)) return '`lookback` needs an integer, timestamp or date watermark column.';
  if (type.kind === 'integer' && typeof lookback !== 'number')
    return '`lookback` of an integer watermark column is a whole number (e.g. `1000`), not a duration.';
  if (type.kind !== 'integer' && typeof lookback !== 'string')
    return `\`lookback\` of a ${type.kind} watermark column is a duration (e.g. \`15m\`), not a number.`;
  return undefined;
}
