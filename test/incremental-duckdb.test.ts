import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { beforeEach, describe, expect, it } from 'vitest';
import { createRegistry } from '../src/cli/registry.js';
import type { SluiceError } from '../src/core/errors.js';
import type { SluiceEvent } from '../src/core/events.js';
import { planAccess } from '../src/engine/plan-access.js';
import { type IncrementalProject, incrementalProject } from './incremental-project.js';

let project: IncrementalProject;
let dbPath: string;

async function sql(text: string): Promise<void> {
  const db = await DuckDBInstance.create(dbPath);
  const conn = await db.connect();
  try {
    await conn.run(text);
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

const SOURCE = `  events:
    connection: db
    query: SELECT id, updated_at, note FROM events
    incremental: { column: updated_at }`;

const ids = (rows: Record<string, unknown>[]) => rows.map((r) => Number(r.id)).sort((a, b) => a - b);

beforeEach(async () => {
  project = await incrementalProject('{ type: duckdb, path: events.duckdb }');
  dbPath = join(project.dir, 'events.duckdb');
  await sql(`CREATE TABLE events (id INTEGER, updated_at TIMESTAMP, note VARCHAR);
    INSERT INTO events SELECT i, TIMESTAMP '2026-01-01 00:00:00' + INTERVAL (i) SECOND, 'note ' || i FROM range(1, 101) t(i);`);
  await project.write(SOURCE);
});

describe('incremental extraction from DuckDB', () => {
  it('reads every row first, then only the rows added since the committed watermark', async () => {
    const first = await project.run();
    expect(first.rows).toHaveLength(100);
    expect(first.manifest.sources[0]?.incremental).toEqual({
      column: 'updated_at',
      mode: 'full',
      reason: 'first_run',
      from: null,
      to: ['2026-01-01 00:01:40.000000'],
    });

    await sql(`INSERT INTO events VALUES (101, TIMESTAMP '2026-01-02 00:00:00.000001', 'late'),
      (102, TIMESTAMP '2026-01-02 00:00:00.5', 'later'), (103, NULL, 'no timestamp');`);
    const second = await project.run();
    expect(ids(second.rows)).toEqual([101, 102]);
    expect(second.manifest.sources[0]?.incremental).toEqual({
      column: 'updated_at',
      mode: 'incremental',
      from: ['2026-01-01 00:01:40.000000'],
      to: ['2026-01-02 00:00:00.500000'],
    });

    const third = await project.run();
    expect(third.rows).toHaveLength(0);
    expect(third.manifest.sources[0]?.incremental?.to).toEqual(['2026-01-02 00:00:00.500000']);
  });

  it('plans the same query the next run sends: the full read first, then the incremental read', async () => {
    const decided = async () => {
      const events: SluiceEvent[] = [];
      await planAccess({
        pipeline: project.pipeline,
        registry: await createRegistry(),
        env: process.env,
        onEvent: (e) => events.push(e),
      });
      return events.flatMap((e) => (e.type === 'decision' ? [e.query_sha256] : []));
    };
    const queryOf = (events: SluiceEvent[]) =>
      events.flatMap((e) => (e.type === 'decision' ? [e.query_sha256] : []));
    const planFirst = await decided();
    const first = await project.run();
    expect(planFirst).toEqual(queryOf(first.events));
    const planSecond = await decided();
    const second = await project.run();
    expect(planSecond).toEqual(queryOf(second.events));
    expect(planSecond).not.toEqual(planFirst);
  });

  it('leaves the watermark unchanged when the run is interrupted after reading, so the next run reads those rows again', async () => {
    await project.run();
    const committed = await project.state();
    await sql(`INSERT INTO events VALUES (200, TIMESTAMP '2026-02-01 00:00:00', 'new')`);
    const controller = new AbortController();
    const failed = await project
      .run({
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type === 'source_watermark') controller.abort(new Error('stop'));
        },
      })
      .catch((err: unknown) => err);
    expect((failed as SluiceError).code).toBe('CANCELLED');
    expect(await project.state()).toBe(committed);
    expect(ids((await project.run()).rows)).toEqual([200]);
  });

  it('leaves the watermark unchanged when an output cannot be committed', async () => {
    await project.run();
    const committed = await project.state();
    await sql(`INSERT INTO events VALUES (300, TIMESTAMP '2026-03-01 00:00:00', 'new')`);
    // A directory where the output file goes: the rows are read, the commit fails.
    await rm(join(project.dir, 'out/events.jsonl'));
    await mkdir(join(project.dir, 'out/events.jsonl/blocker'), { recursive: true });
    let read = false;
    await expect(project.run({ onEvent: (e) => (read ||= e.type === 'source_watermark') })).rejects.toThrow();
    expect(read).toBe(true);
    expect(await project.state()).toBe(committed);
    await rm(join(project.dir, 'out/events.jsonl'), { recursive: true });
    expect(ids((await project.run()).rows)).toEqual([300]);
  });

  it('reads every row again with --full-refresh and commits the new watermark', async () => {
    await project.run();
    const refreshed = await project.run({ fullRefresh: true });
    expect(refreshed.rows).toHaveLength(100);
    expect(refreshed.manifest.sources[0]?.incremental).toMatchObject({
      mode: 'full',
      reason: 'full_refresh',
    });
    expect((await project.run()).rows).toHaveLength(0);
  });

  it('reads every row again, with a warning, when the query changes', async () => {
    await project.run();
    await project.write(
      SOURCE.replace('SELECT id, updated_at, note FROM events', 'SELECT id, updated_at FROM events'),
    );
    const changed = await project.run();
    expect(changed.rows).toHaveLength(100);
    expect(changed.manifest.sources[0]?.incremental).toMatchObject({
      mode: 'full',
      reason: 'source_changed',
    });
    expect(changed.warnings.join('\n')).toContain('Source `events`');
  });

  it('with a tiebreaker, reads a row that arrives late with the same timestamp as the last one read', async () => {
    const tied = SOURCE.replace('{ column: updated_at }', '{ column: updated_at, tiebreaker: id }');
    await project.write(tied);
    await sql(`INSERT INTO events VALUES (150, TIMESTAMP '2026-01-01 00:01:40', 'same second as id 100')`);
    const first = await project.run();
    expect(first.manifest.sources[0]?.incremental?.to).toEqual(['2026-01-01 00:01:40.000000', '150']);
    // Committed later, with the very same timestamp: `updated_at > watermark` alone would skip it.
    await sql(`INSERT INTO events VALUES (151, TIMESTAMP '2026-01-01 00:01:40', 'late, same timestamp')`);
    expect(ids((await project.run()).rows)).toEqual([151]);
    expect((await project.run()).rows).toHaveLength(0);
  });

  it('without a tiebreaker, skips such a row: the documented trap', async () => {
    await project.run();
    await sql(`INSERT INTO events VALUES (151, TIMESTAMP '2026-01-01 00:01:40', 'late, same timestamp')`);
    expect((await project.run()).rows).toHaveLength(0);
  });

  it('with a lookback, reads the window before the watermark again (rows to deduplicate by key)', async () => {
    await project.write(SOURCE.replace('{ column: updated_at }', '{ column: updated_at, lookback: 5s }'));
    await project.run();
    await sql(
      `INSERT INTO events VALUES (152, TIMESTAMP '2026-01-01 00:01:38', 'late, 2s before the watermark')`,
    );
    const second = await project.run();
    expect(ids(second.rows)).toEqual([96, 97, 98, 99, 100, 152]);
    expect(second.manifest.sources[0]?.incremental?.to).toEqual(['2026-01-01 00:01:40.000000']);
  });

  it('reads integer and text watermarks, quoting text values safely', async () => {
    await project.write(SOURCE.replace('{ column: updated_at }', '{ column: id }'));
    await project.run();
    await sql(`INSERT INTO events VALUES (1000, NULL, 'x')`);
    expect(ids((await project.run()).rows)).toEqual([1000]);

    await project.write(
      `  events:
    connection: db
    query: SELECT id, note FROM events WHERE note IS NOT NULL
    incremental: { column: note }`,
    );
    await sql(`INSERT INTO events VALUES (2000, NULL, 'zz''; DROP TABLE events; --')`);
    const first = await project.run();
    expect(first.manifest.sources[0]?.incremental?.to).toEqual(["zz'; DROP TABLE events; --"]);
    await sql(`INSERT INTO events VALUES (2001, NULL, 'zzz')`);
    expect(ids((await project.run()).rows)).toEqual([2001]);
  });

  it('refuses a masked watermark column before reading a row', async () => {
    await project.write(SOURCE, `transforms:\n  events:\n    updated_at: { mask: "null" }`);
    const err = (await project.run().catch((e: unknown) => e)) as SluiceError;
    expect(err.code).toBe('POLICY_DENIED');
    expect(err.message).toContain('watermark column `updated_at` is masked');
    expect(await project.state()).toBeUndefined();
  });

  it('reports a missing or unsuitable watermark column at plan time', async () => {
    await project.write(SOURCE.replace('{ column: updated_at }', '{ column: updatedat }'));
    const missing = (await project.run().catch((e: unknown) => e)) as SluiceError;
    expect(missing.code).toBe('CONFIG_INVALID');
    expect(missing.message).toContain('updatedat');
    expect(missing.message).toContain('Source `events` is incremental: its query must return `updatedat`');
    await project.write(
      SOURCE.replace('SELECT id, updated_at, note', 'SELECT id, updated_at, 0.5 AS score, note').replace(
        '{ column: updated_at }',
        '{ column: score }',
      ),
    );
    const typed = (await project.run().catch((e: unknown) => e)) as SluiceError;
    expect(typed.message).toContain('cannot hold a watermark');
  });
});
