import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { RecordBatch, Schema } from 'apache-arrow';
import {
  type ComponentContext,
  type Sink,
  SluiceError,
  type StagedFile,
  throwIfAborted,
} from '../../src/index.js';
import type { PostgresConfig } from './config.js';
import { type ResolvedConnection, resolveConnection } from './connect-options.js';
import { encodeCopyText, postgresTypeFor } from './copy-text-encoder.js';
import { createPgPool, type PgPool, type PgSession } from './driver.js';
import { toPostgresError } from './errors.js';

export interface PostgresSinkOptions {
  /** Target table, optionally schema-qualified (`analytics.customers_masked`). */
  table: string;
}

/**
 * Writes batches into a PostgreSQL table: `COPY FROM STDIN` into a staging table beside the target,
 * then, on commit, drops the target and renames the staging table in one transaction. Until then
 * the target is untouched; `abort` drops the staging table.
 */
export class PostgresTableSink implements Sink {
  readonly #config: PostgresConfig;
  readonly #ctx: ComponentContext;
  readonly #schemaName: string | undefined;
  readonly #tableName: string;
  readonly #stagingName: string;
  #connection: ResolvedConnection | undefined;
  #pool: PgPool | undefined;
  #session: PgSession | undefined;
  #copy: Writable | undefined;
  #copyError: Error | undefined;
  #staged = false;

  constructor(config: PostgresConfig, options: PostgresSinkOptions, ctx: ComponentContext) {
    this.#config = config;
    this.#ctx = ctx;
    const parts = options.table.split('.');
    this.#tableName = parts.pop() as string;
    this.#schemaName = parts.length > 0 ? parts.join('.') : undefined;
    const tag = createHash('sha256').update(ctx.runId).digest('hex').slice(0, 10);
    this.#stagingName = `${this.#tableName.slice(0, 40)}__sluice_${tag}`;
  }

  async open(schema: Schema, signal: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    const columns = schema.fields.map((f) => `${ident(f.name)} ${postgresTypeFor(f.type, f.name)}`);
    try {
      this.#connection = await resolveConnection(
        this.#config,
        this.#ctx,
        `sluice:${this.#ctx.runId}`.slice(0, 63),
      );
      this.#pool = createPgPool(this.#connection.options);
      this.#session = await this.#pool.session();
      await this.#session.query(`CREATE TABLE ${this.#qualified(this.#stagingName)} (${columns.join(', ')})`);
      this.#staged = true;
      this.#copy = this.#session.copyIn(`COPY ${this.#qualified(this.#stagingName)} FROM STDIN`);
      this.#copy.on('error', (err) => {
        this.#copyError = err;
      });
    } catch (err) {
      throw this.#error(err);
    }
  }

  async write(batch: RecordBatch, signal: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    const copy = this.#requireCopy();
    if (this.#copyError) throw this.#error(this.#copyError);
    const text = encodeCopyText(batch);
    if (text.length > 0 && !copy.write(text)) {
      await Promise.race([once(copy, 'drain'), once(copy, 'error')]);
    }
    if (this.#copyError) throw this.#error(this.#copyError);
  }

  async finish(signal: AbortSignal): Promise<StagedFile[]> {
    throwIfAborted(signal);
    const copy = this.#requireCopy();
    try {
      copy.end();
      await finished(copy);
    } catch (err) {
      throw this.#error(this.#copyError ?? err);
    }
    this.#copy = undefined;
    return [];
  }

  async commit(): Promise<void> {
    const session = this.#session;
    if (!session || this.#copy) {
      throw new SluiceError('INTERNAL', 'The PostgreSQL sink was committed before `finish`.');
    }
    try {
      await session.query('BEGIN');
      await session.query(`DROP TABLE IF EXISTS ${this.#qualified(this.#tableName)}`);
      await session.query(
        `ALTER TABLE ${this.#qualified(this.#stagingName)} RENAME TO ${ident(this.#tableName)}`,
      );
      await session.query('COMMIT');
      this.#staged = false;
    } catch (err) {
      await session.query('ROLLBACK').catch(() => {});
      throw this.#error(err);
    }
    await this.#close(false);
  }

  async abort(): Promise<void> {
    const broken = this.#copy !== undefined;
    this.#copy?.destroy();
    this.#copy = undefined;
    await this.#close(broken);
    if (!this.#staged || !this.#pool) {
      await this.#pool?.end();
      this.#pool = undefined;
      return;
    }
    // A fresh session: the one that was copying may be mid-protocol.
    const session = await this.#pool.session().catch(() => undefined);
    if (session) {
      await session.query(`DROP TABLE IF EXISTS ${this.#qualified(this.#stagingName)}`).catch(() => {});
      session.release(false);
      this.#staged = false;
    }
    await this.#pool.end();
    this.#pool = undefined;
  }

  async #close(destroy: boolean): Promise<void> {
    this.#session?.release(destroy);
    this.#session = undefined;
    if (!this.#staged) {
      await this.#pool?.end();
      this.#pool = undefined;
    }
  }

  #qualified(name: string): string {
    return this.#schemaName === undefined ? ident(name) : `${ident(this.#schemaName)}.${ident(name)}`;
  }

  #requireCopy(): Writable {
    if (!this.#copy) throw new SluiceError('INTERNAL', 'The PostgreSQL sink is not open.');
    return this.#copy;
  }

  #error(err: unknown): SluiceError {
    const table = this.#schemaName ? `${this.#schemaName}.${this.#tableName}` : this.#tableName;
    const e = toPostgresError(err, {
      source: `table ${table}`,
      secrets: this.#connection?.secrets ?? [],
      ...(this.#connection ? { target: this.#connection.target } : {}),
    });
    if (e.code !== 'SOURCE_FAILED' && e.code !== 'SOURCE_UNAVAILABLE') return e;
    return new SluiceError(
      'SINK_FAILED',
      `Writing PostgreSQL table \`${table}\` failed; the table is unchanged. ${e.message}`,
      { context: { ...e.context, table }, cause: e.cause, retryable: e.retryable },
    );
  }
}

function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
