import { inspect } from 'node:util';
import type { RecordBatch } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SluiceError } from '../../src/index.js';
import { admin, backendsOf, type SourceOptions, sourceFor, startTestDatabase } from './test/harness.js';

let pg: { url: string; stop(): Promise<void> };
const reader = `reader_${process.pid}_${Date.now() % 100000}`;

beforeAll(async () => {
  pg = await startTestDatabase();
  await admin(
    pg.url,
    `CREATE TABLE notes (id int PRIMARY KEY, body text);
     INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(1, 5000) g;
     CREATE FUNCTION scribble() RETURNS int LANGUAGE sql AS 'INSERT INTO notes VALUES (-1, NULL) RETURNING 1';
     CREATE TABLE vault (secret text);
     CREATE FUNCTION noisy(n int) RETURNS int LANGUAGE plpgsql AS
       $$BEGIN IF n % 500 = 0 THEN RAISE NOTICE 'row %', n; END IF; RETURN n; END$$;
     CREATE ROLE ${reader} LOGIN;`,
  );
});
afterAll(async () => {
  await admin(pg.url, `DROP OWNED BY ${reader}; DROP ROLE IF EXISTS ${reader}`).catch(() => {});
  await pg?.stop();
});

const PATHS = [
  { name: 'binary COPY', copy_binary: true },
  { name: 'cursor', copy_binary: false },
];

async function collect(
  options: SourceOptions,
  signal = new AbortController().signal,
): Promise<RecordBatch[]> {
  const source = sourceFor(pg.url, options);
  const batches: RecordBatch[] = [];
  try {
    for await (const batch of source.read(signal)) batches.push(batch);
  } finally {
    await source.close();
  }
  return batches;
}

async function failure(promise: Promise<unknown>): Promise<SluiceError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(SluiceError);
    return err as SluiceError;
  }
  throw new Error('expected the read to fail');
}

describe.each(PATHS)('postgres source via $name', ({ copy_binary }) => {
  const config = { copy_binary };

  it('yields batches of batch_rows in query order', async () => {
    const batches = await collect({ query: 'SELECT id FROM notes ORDER BY id', batchRows: 2000, config });
    expect(batches.map((b) => b.numRows)).toEqual([2000, 2000, 1000]);
    const ids = batches.flatMap((b) => [...(b.getChild('id')?.toArray() ?? [])]);
    expect(ids).toEqual(Array.from({ length: 5000 }, (_, i) => i + 1));
  });

  it('yields no batch for an empty result, and describes its columns', async () => {
    const query = 'SELECT id, body FROM notes WHERE id < 0';
    expect(await collect({ query, config })).toEqual([]);
    const source = sourceFor(pg.url, { query, config });
    const schema = await source.describe(new AbortController().signal);
    await source.close();
    expect(schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(['id:Int32', 'body:Utf8']);
  });

  it('serves a slow consumer every row', async () => {
    const source = sourceFor(pg.url, { query: 'SELECT id FROM notes', batchRows: 1000, config });
    let rows = 0;
    for await (const batch of source.read(new AbortController().signal)) {
      rows += batch.numRows;
      await new Promise((r) => setTimeout(r, 100));
    }
    await source.close();
    expect(rows).toBe(5000);
  });

  it('serves a slow consumer a result far larger than what is read ahead', async () => {
    const source = sourceFor(pg.url, {
      query: "SELECT g, repeat('x', 200) AS pad FROM generate_series(1, 60000) g",
      batchRows: 10000,
      config,
    });
    let rows = 0;
    let sum = 0;
    for await (const batch of source.read(new AbortController().signal)) {
      rows += batch.numRows;
      for (const g of batch.getChild('g')?.toArray() ?? []) sum += Number(g);
      await new Promise((r) => setTimeout(r, 50));
    }
    await source.close();
    expect(rows).toBe(60000);
    expect(sum).toBe((60000 * 60001) / 2);
  });

  it('reads every row when the server sends notices in the middle of the result', async () => {
    const batches = await collect({ query: 'SELECT noisy(g) AS n FROM generate_series(1, 3000) g', config });
    const values = batches.flatMap((b) => [...(b.getChild('n')?.toArray() ?? [])]);
    expect(values).toEqual(Array.from({ length: 3000 }, (_, i) => i + 1));
  });

  it('closes the query and the connection when the consumer stops after one batch', async () => {
    const runId = `stop-${copy_binary}`;
    const source = sourceFor(pg.url, {
      query: "SELECT g, repeat('x', 100) FROM generate_series(1, 2000000) g",
      batchRows: 100,
      config,
      runId,
    });
    for await (const batch of source.read(new AbortController().signal)) {
      expect(batch.numRows).toBe(100);
      break;
    }
    expect(await backendsOf(pg.url, runId)).toBe(0);
    await source.close();
  });

  it('closes the connection when the consumer throws', async () => {
    const runId = `throw-${copy_binary}`;
    const source = sourceFor(pg.url, { query: 'SELECT id FROM notes', batchRows: 10, config, runId });
    await expect(
      (async () => {
        for await (const _ of source.read(new AbortController().signal)) throw new Error('consumer broke');
      })(),
    ).rejects.toThrow('consumer broke');
    expect(await backendsOf(pg.url, runId)).toBe(0);
    await source.close();
  });

  it('stops with CANCELLED when aborted mid-stream, leaving no backend', async () => {
    const runId = `abort-${copy_binary}`;
    const controller = new AbortController();
    const source = sourceFor(pg.url, {
      query: 'SELECT g FROM generate_series(1, 10000000) g',
      batchRows: 1000,
      config,
      runId,
    });
    const err = await failure(
      (async () => {
        for await (const _ of source.read(controller.signal)) controller.abort();
      })(),
    );
    expect(err.code).toBe('CANCELLED');
    expect(await backendsOf(pg.url, runId)).toBe(0);
    await source.close();
  });

  it('stops a statement the server is still computing when aborted', async () => {
    const runId = `abort-busy-${copy_binary}`;
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const started = Date.now();
    const err = await failure(collect({ query: 'SELECT pg_sleep(30)', config, runId }, controller.signal));
    expect(err.code).toBe('CANCELLED');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await backendsOf(pg.url, runId)).toBe(0);
  });

  it('reports a server error raised mid-stream without quoting row values', async () => {
    const source = sourceFor(pg.url, {
      query: 'SELECT id, 10 / (id - 4000) AS ratio FROM notes ORDER BY id',
      batchRows: 500,
      config,
    });
    let rows = 0;
    const err = await failure(
      (async () => {
        for await (const batch of source.read(new AbortController().signal)) rows += batch.numRows;
      })(),
    );
    await source.close();
    expect(rows).toBeLessThan(4000);
    expect(err.code).toBe('SOURCE_FAILED');
    expect(err.context.sqlstate).toBe('22012');
    expect(err.message).toContain('`src`');
    expect(err.retryable).toBe(false);
  });

  it('fails with TIMEOUT when the query exceeds statement_timeout_ms', async () => {
    const err = await failure(
      collect({ query: 'SELECT pg_sleep(5)', config: { ...config, statement_timeout_ms: 200 } }),
    );
    expect(err.code).toBe('TIMEOUT');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('statement_timeout_ms');
  });

  it('refuses a query that writes, because the transaction is read only', async () => {
    const err = await failure(collect({ query: 'SELECT scribble()', config }));
    expect(err.code).toBe('PERMISSION_DENIED');
    expect(err.context.sqlstate).toBe('25006');
    const { rows } = await admin(pg.url, 'SELECT count(*)::int AS n FROM notes WHERE id = -1');
    expect(rows[0]).toEqual({ n: 0 });
  });

  it('reports a lost connection as retryable', async () => {
    const runId = `terminated-${copy_binary}`;
    const source = sourceFor(pg.url, {
      query: 'SELECT g FROM generate_series(1, 10000000) g',
      batchRows: 1000,
      config,
      runId,
    });
    let first = true;
    const err = await failure(
      (async () => {
        for await (const _ of source.read(new AbortController().signal)) {
          if (first) {
            first = false;
            await admin(
              pg.url,
              `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'sluice:${runId}'`,
            );
            await new Promise((r) => setTimeout(r, 200));
          }
        }
      })(),
    );
    await source.close();
    expect(err.code).toBe('SOURCE_UNAVAILABLE');
    expect(err.retryable).toBe(true);
    expect(err.exitCode).toBe(1);
  });
});

describe('postgres source errors and evidence', () => {
  it('names the missing table, the missing column and the syntax error', async () => {
    const missingTable = await failure(collect({ query: 'SELECT * FROM no_such_table' }));
    expect(missingTable.code).toBe('QUERY_INVALID');
    expect(missingTable.message).toContain('`no_such_table`');
    expect(missingTable.exitCode).toBe(2);

    const missingColumn = await failure(collect({ query: 'SELECT e_mail FROM notes' }));
    expect(missingColumn.code).toBe('QUERY_INVALID');
    expect(missingColumn.message).toContain('`e_mail`');

    const syntax = await failure(collect({ query: 'SELEC id FROM notes' }));
    expect(syntax.code).toBe('QUERY_INVALID');
    expect(syntax.context.sqlstate).toBe('42601');
  });

  it('reports insufficient privilege as PERMISSION_DENIED naming the table', async () => {
    const url = new URL(pg.url);
    url.username = reader;
    const source = sourceFor(url.toString(), { query: 'SELECT * FROM vault' });
    const err = await failure(source.describe(new AbortController().signal));
    await source.close();
    expect(err.code).toBe('PERMISSION_DENIED');
    expect(err.message).toContain('`vault`');
    expect(err.exitCode).toBe(3);
  });

  it('never shows the password, whatever fails', async () => {
    const password = 'Hunter2-very-secret';
    const url = new URL(pg.url);
    const dsns = [
      `postgres://nobody:${password}@${url.host}/postgres`,
      `postgres://nobody:${password}@127.0.0.1:1/postgres`,
      `postgres://nobody:${password}@no-such-host.invalid/postgres`,
    ];
    for (const dsn of dsns) {
      const source = sourceFor(dsn, { query: 'SELECT 1' });
      const err = await failure(source.describe(new AbortController().signal));
      await source.close();
      const shown = [err.message, JSON.stringify(err), inspect(err, { depth: 10 })].join('\n');
      expect(shown).not.toContain(password);
      expect(['PERMISSION_DENIED', 'SOURCE_UNAVAILABLE']).toContain(err.code);
    }
  });

  it('records the snapshot it read from', async () => {
    const source = sourceFor(pg.url, { query: 'SELECT 1 AS one' });
    expect(source.snapshot()).toBeUndefined();
    for await (const _ of source.read(new AbortController().signal)) {
      // drain
    }
    await source.close();
    const snapshot = source.snapshot();
    expect(snapshot).toMatchObject({ isolation: 'repeatable read', read_only: true });
    expect(snapshot?.snapshot).toMatch(/^\d+:\d+:/);
    expect(snapshot?.wal_lsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
  });

  it('shows the run id as application_name while reading', async () => {
    const runId = 'visible-run';
    const source = sourceFor(pg.url, { query: 'SELECT id FROM notes', batchRows: 100, runId });
    for await (const _ of source.read(new AbortController().signal)) {
      const { rows } = await admin(
        pg.url,
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'sluice:${runId}'`,
      );
      expect(rows[0]).toEqual({ n: 1 });
      break;
    }
    await source.close();
  });
});
