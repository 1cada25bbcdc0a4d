import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { RecordBatch, Schema } from 'apache-arrow';
import {
  type ComponentContext,
  SluiceError,
  type Source,
  type SourceSpec,
  sourceQuery,
  throwIfAborted,
} from '../../src/index.js';
import type { DuckDBConnectionConfig } from './config.js';
import { type DuckDBDatabase, type DuckDBSession, openDuckDB } from './driver.js';
import { queryFailure } from './errors.js';
import { streamQuery } from './query-stream.js';
import { arrowSchemaFor } from './types.js';

export { sourceQuery };

/**
 * Reads a query from an embedded DuckDB database as Arrow record batches of `batch_rows` rows.
 * Each `describe`/`read` opens its own database instance and closes it when done.
 */
export class DuckDBSource implements Source {
  readonly name: string;
  readonly query: string;
  readonly #config: DuckDBConnectionConfig;
  readonly #spec: SourceSpec;
  readonly #path: string;
  readonly #what: string;
  #schema: Schema | undefined;
  readonly #open = new Set<() => void>();

  constructor(config: DuckDBConnectionConfig, spec: SourceSpec, ctx: ComponentContext) {
    this.#config = config;
    this.#spec = spec;
    this.name = spec.name;
    this.query = sourceQuery(spec);
    this.#what = `source \`${spec.name}\``;
    this.#path =
      config.path === ':memory:' || isAbsolute(config.path) ? config.path : resolve(ctx.baseDir, config.path);
  }

  async describe(signal: AbortSignal): Promise<Schema> {
    throwIfAborted(signal);
    if (this.#schema) return this.#schema;
    const schema = await this.#withSession(async (session) => {
      try {
        return arrowSchemaFor(await session.columnsOf(this.query), this.#what);
      } catch (err) {
        throw queryFailure(err, this.#what, signal);
      }
    });
    this.#schema = schema;
    return schema;
  }

  async *read(signal: AbortSignal): AsyncGenerator<RecordBatch> {
    throwIfAborted(signal);
    const db = await this.#openDatabase();
    let session: DuckDBSession | undefined;
    const release = (): void => {
      session?.close();
      db.close();
    };
    this.#open.add(release);
    try {
      session = await db.connect();
      const options = { sql: this.query, batchRows: this.#spec.batch_rows, what: this.#what, signal };
      yield* streamQuery(session, this.#schema ? { ...options, schema: this.#schema } : options);
    } finally {
      this.#open.delete(release);
      release();
    }
  }

  async close(): Promise<void> {
    for (const release of this.#open) release();
    this.#open.clear();
  }

  async #withSession<T>(fn: (session: DuckDBSession) => Promise<T>): Promise<T> {
    const db = await this.#openDatabase();
    try {
      const session = await db.connect();
      try {
        return await fn(session);
      } finally {
        session.close();
      }
    } finally {
      db.close();
    }
  }

  async #openDatabase(): Promise<DuckDBDatabase> {
    const { read_only, memory_limit, threads } = this.#config;
    const inMemory = this.#path === ':memory:';
    if (read_only && !inMemory) {
      const exists = await stat(this.#path).then(
        (s) => s.isFile(),
        () => false,
      );
      if (!exists) {
        throw new SluiceError(
          'CONFIG_NOT_FOUND',
          `DuckDB database \`${this.#path}\` for ${this.#what} does not exist. Check \`path\` in the connection (relative paths resolve against the config file directory).`,
          { context: { source: this.name, path: this.#path } },
        );
      }
    }
    const options: Record<string, string> = {};
    if (read_only && !inMemory) options.access_mode = 'READ_ONLY';
    if (memory_limit !== undefined) options.memory_limit = memory_limit;
    if (threads !== undefined) options.threads = String(threads);
    try {
      return await openDuckDB(this.#path, options);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const locked = /lock/i.test(message);
      throw new SluiceError(
        locked ? 'SOURCE_UNAVAILABLE' : 'SOURCE_FAILED',
        `Cannot open DuckDB database \`${this.#path}\` for ${this.#what}: ${message}${locked ? ' Another process holds a lock on it; retry when it is done.' : ' Check the file and the connection settings.'}`,
        { context: { source: this.name, path: this.#path }, cause: err },
      );
    }
  }
}
