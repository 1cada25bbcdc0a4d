import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type { RecordBatch, Schema } from 'apache-arrow';
import { type ComponentContext, SluiceError, throwIfAborted } from '../../src/index.js';
import { type PostgresConfig, postgresConfigSchema } from './config.js';
import { resolveConnection } from './connect-options.js';
import { encodeCopyText, postgresTypeFor } from './copy-text-encoder.js';
import { createPgPool, type PgSession } from './driver.js';
import { toPostgresError } from './errors.js';

/** One table to create and fill: its Arrow schema and a stream of batches. */
export interface TableToLoad {
  name: string;
  schema: Schema;
  batches(signal?: AbortSignal): AsyncIterable<RecordBatch>;
  /** Column that becomes the primary key (added after the load, which is faster). */
  primaryKey?: string;
}

export interface LoadTablesOptions {
  /** Where the DSN is read from, resolved through `ctx.secrets`. */
  dsn: PostgresConfig['dsn'];
  /** Target schema, created if missing. */
  schema: string;
  /** Drop tables that already exist instead of failing. */
  drop: boolean;
  signal?: AbortSignal;
}

export interface LoadedTable {
  table: string;
  rows: number;
}

/**
 * Creates `tables` in one transaction and fills them with `COPY ... FROM STDIN`; nothing is left
 * behind if anything fails. Returns `host:port/database` (safe to print) and the row counts.
 */
export async function loadTables(
  tables: readonly TableToLoad[],
  options: LoadTablesOptions,
  ctx: ComponentContext,
): Promise<{ target: string; tables: LoadedTable[] }> {
  const signal = options.signal ?? new AbortController().signal;
  const config = postgresConfigSchema.parse({ type: 'postgres', dsn: options.dsn, pool_size: 1 });
  const connection = await resolveConnection(config, ctx, `sluice:${ctx.runId}`.slice(0, 63));
  const pool = createPgPool(connection.options);
  let session: PgSession | undefined;
  let clean = false;
  const onAbort = () => void session?.cancel();
  signal.addEventListener('abort', onAbort, { once: true });
  const schema = ident(options.schema);
  const loaded: LoadedTable[] = [];
  try {
    session = await pool.session();
    await session.query('BEGIN');
    await session.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    const existing = await session.query(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name = ANY($2)',
      [options.schema, tables.map((t) => t.name)],
    );
    const found = existing.rows.map((r) => String(r[0]));
    if (found.length > 0 && !options.drop) {
      throw new SluiceError(
        'USAGE',
        `Table${found.length > 1 ? 's' : ''} ${found.map((t) => `\`${options.schema}.${t}\``).join(', ')} already exist${found.length > 1 ? '' : 's'} in ${connection.target}. Pass --drop to replace them, or load into another --schema.`,
        { context: { target: connection.target, schema: options.schema, tables: found } },
      );
    }
    for (const table of tables) {
      throwIfAborted(signal);
      const name = `${schema}.${ident(table.name)}`;
      const columns = table.schema.fields.map(
        (f) => `${ident(f.name)} ${postgresTypeFor(f.type, f.name)}${f.nullable ? '' : ' NOT NULL'}`,
      );
      await session.query(`DROP TABLE IF EXISTS ${name} CASCADE`);
      await session.query(`CREATE TABLE ${name} (${columns.join(', ')})`);
      const copy = session.copyIn(`COPY ${name} FROM STDIN`);
      let copyError: Error | undefined;
      copy.on('error', (err) => {
        copyError = err;
      });
      let rows = 0;
      for await (const batch of table.batches(signal)) {
        if (copyError) throw copyError;
        rows += batch.numRows;
        if (!copy.write(encodeCopyText(batch)))
          await Promise.race([once(copy, 'drain'), once(copy, 'error')]);
      }
      copy.end();
      await finished(copy);
      if (table.primaryKey)
        await session.query(`ALTER TABLE ${name} ADD PRIMARY KEY (${ident(table.primaryKey)})`);
      loaded.push({ table: `${options.schema}.${table.name}`, rows });
    }
    await session.query('COMMIT');
    clean = true;
    // Planner statistics, so the first queries against the fresh tables get sensible plans.
    await session.query(`ANALYZE ${tables.map((t) => `${schema}.${ident(t.name)}`).join(', ')}`);
    return { target: connection.target, tables: loaded };
  } catch (err) {
    if (signal.aborted) {
      throw new SluiceError('CANCELLED', 'Loading the fixtures was interrupted; nothing was committed.');
    }
    // Driver and server text is scrubbed of the DSN and password by toPostgresError.
    throw toPostgresError(err, {
      source: 'fixtures',
      secrets: connection.secrets,
      target: connection.target,
    });
  } finally {
    signal.removeEventListener('abort', onAbort);
    // A failed COPY leaves the protocol state unknown: drop the connection; the server rolls back.
    session?.release(!clean);
    await pool.end().catch(() => undefined);
  }
}

function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
