import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { RecordBatch, Schema } from 'apache-arrow';
import { batchBytes } from '../core/arrow-util.js';
import { commitFile, removeQuietly } from '../core/atomic-file.js';
import { toSluiceError } from '../core/errors.js';
import type { Sink, StagedFile } from '../core/sink.js';

/** `train-00000-of-00004.parquet`: the Hugging Face shard name. */
export function shardFileName(split: string, index: number, count: number, ext: string): string {
  return `${split}-${String(index).padStart(5, '0')}-of-${String(count).padStart(5, '0')}.${ext}`;
}

const SHARD_NAME = /^([a-z][a-z0-9_]*)-\d{5}-of-\d{5}\.[a-z0-9]+$/;

/**
 * Writes one split as shards under `dataDir`, starting a new inner sink when a shard reaches
 * `maxRows` rows or `maxBytes` bytes of Arrow data. The shard count is known only at the end, so
 * inner sinks write under provisional names and `finish` reports the final `-of-N` names, which
 * `commit` renames the staged files to.
 */
export class ShardedWriter {
  readonly split: string;
  readonly #dataDir: string;
  readonly #ext: string;
  readonly #create: (path: string) => Sink;
  readonly #maxRows: number;
  readonly #maxBytes: number;
  readonly #sinks: Sink[] = [];
  #schema: Schema | undefined;
  #rows = 0;
  #bytes = 0;
  #total = 0;
  #staged: StagedFile[] = [];
  /** Staged files of the finished shards, by shard index. */
  readonly #done: StagedFile[][] = [];

  constructor(options: {
    split: string;
    dataDir: string;
    ext: string;
    create: (path: string) => Sink;
    maxRows?: number | undefined;
    maxBytes?: number | undefined;
  }) {
    this.split = options.split;
    this.#dataDir = options.dataDir;
    this.#ext = options.ext;
    this.#create = options.create;
    this.#maxRows = options.maxRows ?? Number.POSITIVE_INFINITY;
    this.#maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  }

  get rows(): number {
    return this.#total;
  }

  /** The shards reported by `finish`, under their final names. */
  get files(): StagedFile[] {
    return this.#staged;
  }

  /** Opens the first shard, so a split that receives no row still has one (empty) file. */
  async open(schema: Schema, signal: AbortSignal): Promise<void> {
    this.#schema = schema;
    await this.#next(signal);
  }

  async write(batch: RecordBatch, signal: AbortSignal): Promise<void> {
    // Slices share their parent's buffers, so a part's bytes are estimated pro rata.
    const perRow = batch.numRows === 0 ? 0 : batchBytes(batch) / batch.numRows;
    let rest = batch;
    while (rest.numRows > 0) {
      if (this.#rows >= this.#maxRows || this.#bytes >= this.#maxBytes) await this.#next(signal);
      const room = this.#maxRows - this.#rows;
      const part = rest.numRows > room ? rest.slice(0, room) : rest;
      rest = rest.numRows > room ? rest.slice(room) : rest.slice(rest.numRows);
      await (this.#sinks.at(-1) as Sink).write(part, signal);
      this.#rows += part.numRows;
      this.#bytes += perRow * part.numRows;
      this.#total += part.numRows;
    }
  }

  async finish(signal: AbortSignal): Promise<StagedFile[]> {
    const last = this.#sinks.at(-1);
    if (last && this.#done.length < this.#sinks.length) this.#done.push(await last.finish(signal));
    const count = this.#sinks.length;
    this.#staged = this.#done.flatMap((files, i) =>
      files.map((file) => ({
        ...file,
        path: join(this.#dataDir, shardFileName(this.split, i, count, this.#ext)),
      })),
    );
    return this.#staged;
  }

  async commit(): Promise<void> {
    try {
      for (const file of this.#staged) await commitFile(file.tempPath, file.path);
    } catch (err) {
      throw toSluiceError(err, 'SINK_FAILED');
    }
  }

  async abort(): Promise<void> {
    await Promise.all(this.#sinks.map((s) => s.abort().catch(() => undefined)));
  }

  async #next(signal: AbortSignal): Promise<void> {
    // Finish the full shard now, so only one shard's writer (e.g. its DuckDB work database) is open.
    const full = this.#sinks.at(-1);
    if (full) this.#done.push(await full.finish(signal));
    const index = this.#sinks.length;
    const sink = this.#create(
      join(this.#dataDir, `${this.split}-${String(index).padStart(5, '0')}.shard.${this.#ext}`),
    );
    this.#sinks.push(sink);
    this.#rows = 0;
    this.#bytes = 0;
    await sink.open(this.#schema as Schema, signal);
  }
}

/**
 * Removes shard files of `splits` in `dataDir` that this run did not write (a previous run with
 * more shards), so a loader reading `data/*` never mixes runs.
 */
export async function removeStaleShards(dataDir: string, keep: Set<string>): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dataDir);
  } catch {
    return;
  }
  for (const name of names) {
    if (SHARD_NAME.test(name) && !keep.has(join(dataDir, name))) await removeQuietly(join(dataDir, name));
  }
}
