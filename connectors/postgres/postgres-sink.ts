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
  type StagedTable,
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
  /** Name of the connection in the config file, for the audit events of the sink's statements. */
  connection?: string;
}

/** How a table output's `sha256` is computed: see {@link PostgresTableSink}. */
export const COPY_TEXT_DIGEST = 'sha256-pg-copy-text-v1';

/**
 * Writes batches into a PostgreSQL table: `COPY FROM STDIN` into a staging table beside the target,
 * then, on commit, drops the target and renames the staging table in one transaction. Until then
 * the target is untouched; `abort` drops the staging table. One run at a time per target: `open`
 * takes a session advisory lock on the target's name and drops staging tables that runs killed
 * before their `abort` left behind. Every statement is emitted as a `sink_statement` event
 * (identifiers only). The content digest ({@link COPY_TEXT_DIGEST}) is the SHA-256 of the exact
 * `COPY` text sent: rows in write order, tab-separated, `\N` for NULL, `\n` after each row.
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
  readonly #connectionName: string;
  readonly #target: string;
  readonly #hash = createHash('sha256');
  #rows = 0;
  #result: StagedTable | undefined;

  constructor(config: PostgresConfig, options: PostgresSinkOptions, ctx: ComponentContext) {
    this.#config = config;
    this.#ctx = ctx;
    const parts = options.table.split('.');
    this.#tableName = parts.pop() as string;
    this.#schemaName = parts.length > 0 ? parts.join('.') : undefined;
    const tag = createHash('sha256').update(ctx.runId).digest('hex').slice(0, 10);
    this.#stagingName = `${this.#tableName.slice(0, 40)}__sluice_${tag}`;
    this.#connectionName = options.connection ?? 'postgres';
    this.#target = options.table;
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
      await this.#lockTarget(this.#session);
      await this.#run(
        this.#session,
        'stage',
        `CREATE TABLE ${this.#qualified(this.#stagingName)} (${columns.join(', ')})`,
      );
      this.#staged = true;
      const copy = `COPY ${this.#qualified(this.#stagingName)} FROM STDIN`;
      this.#statement('copy', copy);
      this.#copy = this.#session.copyIn(copy);
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
    this.#hash.update(text);
    this.#rows += batch.numRows;
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
    this.#result = { rows: this.#rows, sha256: this.#hash.digest('hex'), digest_algorithm: COPY_TEXT_DIGEST };
    this.#statement('copied', `COPY ${this.#qualified(this.#stagingName)} FROM STDIN`, this.#rows);
    return [];
  }

  stagedTable(): StagedTable | undefined {
    return this.#result;
  }

  async commit(): Promise<void> {
    const session = this.#session;
    if (!session || this.#copy) {
      throw new SluiceError('INTERNAL', 'The PostgreSQL sink was committed before `finish`.');
    }
    try {
      await this.#run(session, 'swap', 'BEGIN');
      await this.#run(session, 'swap', `DROP TABLE IF EXISTS ${this.#qualified(this.#tableName)}`);
      await this.#run(
        session,
        'swap',
        `ALTER TABLE ${this.#qualified(this.#stagingName)} RENAME TO ${ident(this.#tableName)}`,
      );
      await this.#run(session, 'swap', 'COMMIT');
      this.#staged = false;
    } catch (err) {
      await this.#run(session, 'swap', 'ROLLBACK').catch(() => {});
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
      await this.#run(session, 'drop', `DROP TABLE IF EXISTS ${this.#qualified(this.#stagingName)}`).catch(
        () => {},
      );
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

  /**
   * One run at a time per target (across machines: the lock lives in the database). Once it holds
   * the lock, staging tables of the target are leftovers of runs that died before `abort`.
   */
  async #lockTarget(session: PgSession): Promise<void> {
    const key = `sluice:${this.#qualified(this.#tableName)}`;
    const { rows } = await this.#run(
      session,
      'lock',
      'SELECT pg_try_advisory_lock(hashtextextended($1, 0))',
      [key],
    );
    if (rows[0]?.[0] !== 't') {
      throw new SluiceError(
        'SOURCE_UNAVAILABLE',
        `Another run is writing PostgreSQL table \`${this.#target}\`. Wait for it to finish, then run again.`,
        { context: { table: this.#target }, retryable: true },
      );
    }
    const prefix = `${this.#tableName.slice(0, 40)}__sluice_`;
    const stale = await session.query(
      'SELECT tablename FROM pg_tables WHERE schemaname = coalesce($1, current_schema()) AND left(tablename, $2) = $3',
      [this.#schemaName ?? null, prefix.length, prefix],
    );
    for (const [name] of stale.rows) {
      if (name && /^[0-9a-f]{10}$/.test(name.slice(prefix.length)))
        await this.#run(session, 'drop', `DROP TABLE IF EXISTS ${this.#qualified(name)}`);
    }
  }

  /** Runs a statement and emits it (identifiers only) for the audit log. */
  async #run(session: PgSession, step: string, statement: string, params?: unknown[]) {
    this.#statement(step, statement);
    return params === undefined ? session.query(statement) : session.query(statement, params);
  }

  #statement(step: string, statement: string, rows?: number): void {
    this.#ctx.events.emit({
      type: 'sink_statement',
      connection: this.#connectionName,
      table: this.#target,
      step,
      statement,
      ...(rows === undefined ? {} : { rows }),
    });
  }

  #qualified(name: string): string {
    return this.#schemaName === undefined ? ident(name) : `${ident(this.#schemaName)}.${ident(name)}`;
  }

  #requireCopy(): Writable {
    if (!this.#copy) throw new SluiceError('INTERNAL', 'The PostgreSQL sink is not open.');
    return this.#copy;
  }

  #error(err: unknown): SluiceError {
    // Our own errors (a busy target, an unwritable type) already say what to do.
    if (err instanceof SluiceError) return err;
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
