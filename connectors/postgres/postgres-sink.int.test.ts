import { createHash } from 'node:crypto';
import { type RecordBatch, Table, tableToIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresConfigSchema } from './config.js';
import { encodeCopyText } from './copy-text-encoder.js';
import { PostgresTableSink } from './postgres-sink.js';
import { admin, sourceFor, startTestDatabase, testContext } from './test/harness.js';

let pg: { url: string; stop(): Promise<void> };

beforeAll(async () => {
  pg = await startTestDatabase();
  await admin(
    pg.url,
    `CREATE TABLE origin (
       id int8, small int2, n numeric(12,3), f4 float4, f8 float8, b bool, t text, by bytea, d date, tm time,
       ts timestamp, tstz timestamptz, iv interval, ia int4[], ta text[]);
     INSERT INTO origin VALUES
       (1, 7, -1234.5, 1.5, 'NaN', true, e'tab\\there\\nnew "line" \\\\ back', '\\x00ff', '2024-02-29', '13:14:15.000016',
        '2024-01-02 03:04:05.678901', '1999-12-31 23:59:59.999999+00', '1 year 2 days 00:00:00.000001',
        '{1,NULL}', '{"a,b","q\\"d",NULL}'),
       (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
       (3, -1, 0, 0, '-Infinity', false, '', '\\x', '1970-01-01', '00:00:00', '1969-12-31 23:59:59.5',
        '1960-06-01 00:00:00+00', '-3 days', '{}', '{}');
     CREATE TABLE target (keep text); INSERT INTO target VALUES ('old');`,
  );
});
afterAll(() => pg?.stop());

async function read(query: string): Promise<RecordBatch[]> {
  const source = sourceFor(pg.url, { query, batchRows: 2 });
  const out: RecordBatch[] = [];
  for await (const b of source.read(new AbortController().signal)) out.push(b);
  await source.close();
  return out;
}

function sinkFor(table: string, runId: string): PostgresTableSink {
  const config = postgresConfigSchema.parse({ type: 'postgres', dsn: { env: 'PG_TEST_DSN' } });
  return new PostgresTableSink(config, { table }, testContext({ PG_TEST_DSN: pg.url }, runId));
}

async function tables(): Promise<string[]> {
  const { rows } = await admin(
    pg.url,
    `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`,
  );
  return rows.map((r) => (r as { tablename: string }).tablename);
}

describe('PostgreSQL table sink', () => {
  it('writes batches that read back identical, and replaces the target in one step', async () => {
    const batches = await read('SELECT * FROM origin ORDER BY id');
    const signal = new AbortController().signal;
    const sink = sinkFor('target', 'sink-ok');
    await sink.open(batches[0]!.schema, signal);
    for (const b of batches) await sink.write(b, signal);
    expect(await sink.finish(signal)).toEqual([]);
    expect((await admin(pg.url, 'SELECT keep FROM target')).rows).toEqual([{ keep: 'old' }]);
    await sink.commit();

    const back = await read('SELECT * FROM target ORDER BY id');
    expect(Buffer.from(tableToIPC(new Table(back)))).toEqual(Buffer.from(tableToIPC(new Table(batches))));
    expect(await tables()).toEqual(['origin', 'target']);
  });

  it('leaves the target untouched and removes the staging table on abort', async () => {
    await admin(
      pg.url,
      `DROP TABLE IF EXISTS target; CREATE TABLE target (keep text); INSERT INTO target VALUES ('old')`,
    );
    const batches = await read('SELECT id, t FROM origin ORDER BY id');
    const signal = new AbortController().signal;
    const sink = sinkFor('target', 'sink-abort');
    await sink.open(batches[0]!.schema, signal);
    await sink.write(batches[0]!, signal);
    await sink.abort();
    expect((await admin(pg.url, 'SELECT keep FROM target')).rows).toEqual([{ keep: 'old' }]);
    expect(await tables()).toEqual(['origin', 'target']);
  });

  it('reports the rows and the SHA-256 of exactly the COPY text it sent', async () => {
    const batches = await read('SELECT id, t, ta FROM origin ORDER BY id');
    const signal = new AbortController().signal;
    const sink = sinkFor('digested', 'sink-digest');
    await sink.open(batches[0]!.schema, signal);
    for (const b of batches) await sink.write(b, signal);
    await sink.finish(signal);
    const hash = createHash('sha256');
    for (const b of batches) hash.update(encodeCopyText(b));
    expect(sink.stagedTable()).toEqual({
      rows: 3,
      sha256: hash.digest('hex'),
      digest_algorithm: 'sha256-pg-copy-text-v1',
    });
    await sink.abort();
  });

  it('refuses a second writer on the same target while the first is open, and a later run drops staging tables a killed run left', async () => {
    const batches = await read('SELECT id FROM origin ORDER BY id');
    const signal = new AbortController().signal;
    const first = sinkFor('target', 'sink-first');
    await first.open(batches[0]!.schema, signal);
    const second = sinkFor('target', 'sink-second');
    await expect(second.open(batches[0]!.schema, signal)).rejects.toMatchObject({
      code: 'SOURCE_UNAVAILABLE',
      message: expect.stringContaining('Another run is writing PostgreSQL table `target`'),
    });
    await second.abort();
    await first.abort();

    // A run killed before `abort` leaves its staging table behind.
    await admin(pg.url, 'CREATE TABLE target__sluice_0123456789 (id int8)');
    const third = sinkFor('target', 'sink-third');
    await third.open(batches[0]!.schema, signal);
    expect((await tables()).filter((t) => t.includes('0123456789'))).toEqual([]);
    await third.abort();
    expect(await tables()).toEqual(['origin', 'target']);
  });

  it('emits every statement it runs, with identifiers only', async () => {
    const batches = await read('SELECT id, t FROM origin ORDER BY id');
    const signal = new AbortController().signal;
    const ctx = testContext({ PG_TEST_DSN: pg.url }, 'sink-events');
    const statements: { step: string; statement: string }[] = [];
    ctx.events.on((e) => {
      if (e.type === 'sink_statement') statements.push({ step: e.step, statement: e.statement });
    });
    const config = postgresConfigSchema.parse({ type: 'postgres', dsn: { env: 'PG_TEST_DSN' } });
    const sink = new PostgresTableSink(config, { table: 'public.evented', connection: 'wh' }, ctx);
    await sink.open(batches[0]!.schema, signal);
    for (const b of batches) await sink.write(b, signal);
    await sink.finish(signal);
    await sink.commit();
    expect(statements.map((s) => s.step)).toEqual([
      'lock',
      'stage',
      'copy',
      'copied',
      'swap',
      'swap',
      'swap',
      'swap',
    ]);
    const text = statements.map((s) => s.statement).join('\n');
    expect(text).not.toContain('tab');
    expect(text).not.toContain(pg.url);
    expect(text).toContain('CREATE TABLE "public"."evented__sluice_');
  });
});
