import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SluiceError } from '../src/core/errors.js';
import { type PostgresCluster, startPostgresCluster } from '../src/testing/postgres-cluster.js';
import { type IncrementalProject, incrementalProject } from './incremental-project.js';

let cluster: PostgresCluster;
let project: IncrementalProject;
let table: string;

async function sql(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: cluster.url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

const ids = (rows: Record<string, unknown>[]) => rows.map((r) => Number(r.id)).sort((a, b) => a - b);

beforeAll(async () => {
  cluster = await startPostgresCluster();
}, 120_000);
afterAll(async () => {
  await cluster?.stop();
});

let n = 0;
beforeEach(async () => {
  n += 1;
  table = `events_${n}`;
  await sql(`CREATE TABLE ${table} (id int PRIMARY KEY, updated_at timestamptz, note text);
    INSERT INTO ${table} SELECT g, timestamptz '2026-01-01 00:00:00+00' + g * interval '1 second', 'note ' || g
    FROM generate_series(1, 100) g;`);
  project = await incrementalProject('{ type: postgres, dsn: { env: PG_INCREMENTAL_DSN } }', {
    PG_INCREMENTAL_DSN: cluster.url,
  });
  await project.write(source('{ column: updated_at }'));
});

function source(incremental: string, query = `SELECT id, updated_at, note FROM ${table}`): string {
  return `  events:\n    connection: db\n    query: ${query}\n    incremental: ${incremental}`;
}

describe('incremental extraction from PostgreSQL', () => {
  it('reads every row first, then only the rows committed past the watermark', async () => {
    const first = await project.run();
    expect(first.rows).toHaveLength(100);
    expect(first.manifest.sources[0]?.incremental).toMatchObject({
      mode: 'full',
      to: ['2026-01-01 00:01:40.000000+00'],
    });
    await sql(`INSERT INTO ${table} VALUES (101, '2026-01-01 00:01:40.000001+00', 'a microsecond later'),
      (102, '2026-01-05 10:00:00+02', 'two days later')`);
    const second = await project.run();
    expect(ids(second.rows)).toEqual([101, 102]);
    expect(second.manifest.sources[0]?.incremental).toEqual({
      column: 'updated_at',
      mode: 'incremental',
      from: ['2026-01-01 00:01:40.000000+00'],
      to: ['2026-01-05 08:00:00.000000+00'],
    });
    expect((await project.run()).rows).toHaveLength(0);
  });

  it('keeps the watermark when the run is interrupted after reading, then reads the rows again', async () => {
    await project.run();
    const committed = await project.state();
    await sql(`INSERT INTO ${table} VALUES (200, '2026-02-01 00:00:00+00', 'new')`);
    const controller = new AbortController();
    const failed = (await project
      .run({
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type === 'source_watermark') controller.abort(new Error('stop'));
        },
      })
      .catch((err: unknown) => err)) as SluiceError;
    expect(failed.code).toBe('CANCELLED');
    expect(await project.state()).toBe(committed);
    expect(ids((await project.run()).rows)).toEqual([200]);
    const refreshed = await project.run({ fullRefresh: true });
    expect(refreshed.rows).toHaveLength(101);
  });

  it('with a tiebreaker, reads a row committed later with the same timestamp', async () => {
    await project.write(source('{ column: updated_at, tiebreaker: id }'));
    await project.run();
    await sql(`INSERT INTO ${table} VALUES (150, '2026-01-01 00:01:40+00', 'same timestamp as id 100')`);
    expect(ids((await project.run()).rows)).toEqual([150]);
    expect((await project.run()).rows).toHaveLength(0);
  });

  it('reads a text watermark holding quotes and backslashes as the exact value', async () => {
    await project.write(source('{ column: note }', `SELECT id, note FROM ${table} WHERE id > 100`));
    await sql(`INSERT INTO ${table} VALUES (101, NULL, E'a\\\\''; SELECT 1; --')`);
    const first = await project.run();
    expect(first.manifest.sources[0]?.incremental?.to).toEqual(["a\\'; SELECT 1; --"]);
    await sql(`INSERT INTO ${table} VALUES (102, NULL, 'b')`);
    expect(ids((await project.run()).rows)).toEqual([102]);
  });

  it('reads integer, timestamp and date watermarks', async () => {
    const query = `SELECT id, updated_at::timestamp AS local_ts, updated_at::date AS day FROM ${table}`;
    const cases = [
      { column: 'id', row: `(300, '2026-01-01 00:00:00+00', 'id')`, expected: [300] },
      { column: 'local_ts', row: `(301, '2026-02-01 00:00:00.25+00', 'ts')`, expected: [301] },
      { column: 'day', row: `(302, '2026-03-01 00:00:00+00', 'day')`, expected: [302] },
    ];
    for (const c of cases) {
      await project.write(source(`{ column: ${c.column} }`, query));
      await project.run();
      await sql(`INSERT INTO ${table} VALUES ${c.row}`);
      expect(ids((await project.run()).rows)).toEqual(c.expected);
    }
  });

  it('reads every row again when the query changes', async () => {
    await project.run();
    await project.write(source('{ column: updated_at }', `SELECT id, updated_at FROM ${table}`));
    const changed = await project.run();
    expect(changed.rows).toHaveLength(100);
    expect(changed.manifest.sources[0]?.incremental).toMatchObject({
      mode: 'full',
      reason: 'source_changed',
    });
  });
});
