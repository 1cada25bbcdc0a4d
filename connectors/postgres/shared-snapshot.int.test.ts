import type { RecordBatch } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresSource } from './postgres-source.js';
import { openSharedSnapshotGroups } from './shared-snapshot.js';
import { admin, backendsOf, sourceFor, startTestDatabase } from './test/harness.js';

let pg: { url: string; stop(): Promise<void> };

beforeAll(async () => {
  pg = await startTestDatabase();
  await admin(pg.url, 'CREATE TABLE events (id int8); INSERT INTO events SELECT generate_series(1, 100)');
});
afterAll(() => pg?.stop());

async function readAll(source: PostgresSource): Promise<number[]> {
  const ids: number[] = [];
  for await (const batch of source.read(new AbortController().signal) as AsyncIterable<RecordBatch>) {
    for (const v of batch.getChildAt(0) ?? []) ids.push(Number(v));
  }
  return ids;
}

const signal = () => new AbortController().signal;

describe('sources of one run on one database', () => {
  it('read one exported snapshot, even when a row is inserted between their reads', async () => {
    const runId = 'shared-snap-1';
    const a = sourceFor(pg.url, { query: 'SELECT id FROM events', runId });
    const b = sourceFor(pg.url, { query: 'SELECT id FROM events', runId, config: { copy_binary: false } });
    await a.describe(signal());
    await b.describe(signal());
    const first = await readAll(a);
    await admin(pg.url, 'INSERT INTO events VALUES (101)');
    const second = await readAll(b);
    expect(second).toHaveLength(first.length);
    expect(second).not.toContain(101);
    const snapA = a.snapshot();
    const snapB = b.snapshot();
    expect(snapA?.exported_snapshot).toEqual(expect.any(String));
    expect(snapB?.exported_snapshot).toBe(snapA?.exported_snapshot);
    expect(snapB?.snapshot).toBe(snapA?.snapshot);
    await Promise.all([a.close(), b.close()]);
    expect(openSharedSnapshotGroups()).toBe(0);
    expect(await backendsOf(pg.url, runId)).toBe(0);
    // A later run sees the inserted row.
    const c = sourceFor(pg.url, { query: 'SELECT id FROM events', runId: 'shared-snap-2' });
    expect(await readAll(c)).toContain(101);
    await c.close();
  });

  it('a source alone in its run reads on its own snapshot, with no extra connection', async () => {
    const source = sourceFor(pg.url, { query: 'SELECT id FROM events', runId: 'alone-1' });
    await readAll(source);
    expect(source.snapshot()?.exported_snapshot).toBeUndefined();
    expect(source.snapshot()?.snapshot).toEqual(expect.any(String));
    await source.close();
    expect(openSharedSnapshotGroups()).toBe(0);
  });

  it('different runs do not share a snapshot', async () => {
    const a1 = sourceFor(pg.url, { query: 'SELECT id FROM events', runId: 'run-x' });
    const a2 = sourceFor(pg.url, { query: 'SELECT id FROM events', runId: 'run-x' });
    const b1 = sourceFor(pg.url, { query: 'SELECT id FROM events', runId: 'run-y' });
    const b2 = sourceFor(pg.url, { query: 'SELECT id FROM events', runId: 'run-y' });
    for (const s of [a1, a2, b1, b2]) await s.describe(signal());
    for (const s of [a1, a2, b1, b2]) await readAll(s);
    expect(a1.snapshot()?.exported_snapshot).toBe(a2.snapshot()?.exported_snapshot);
    expect(b1.snapshot()?.exported_snapshot).toBe(b2.snapshot()?.exported_snapshot);
    expect(a1.snapshot()?.exported_snapshot).not.toBe(b1.snapshot()?.exported_snapshot);
    await Promise.all([a1, a2, b1, b2].map((s) => s.close()));
    expect(openSharedSnapshotGroups()).toBe(0);
  });

  it('a failed run leaves no coordinator transaction or connection behind once its sources close', async () => {
    const runId = 'shared-fail-1';
    const good = sourceFor(pg.url, { query: 'SELECT id FROM events', runId });
    const bad = sourceFor(pg.url, { query: 'SELECT 1 / (id - 50) FROM events', runId });
    await good.describe(signal());
    await bad.describe(signal());
    await readAll(good);
    await expect(readAll(bad)).rejects.toMatchObject({ code: 'SOURCE_FAILED' });
    // The coordinator stays open while sources of the run are open...
    const { rows } = await admin(
      pg.url,
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'sluice:${runId}' AND state = 'idle in transaction'`,
    );
    expect((rows[0] as { n: number }).n).toBe(1);
    // ...and goes with the last of them.
    await good.close();
    await bad.close();
    expect(openSharedSnapshotGroups()).toBe(0);
    expect(await backendsOf(pg.url, runId)).toBe(0);
  });
});
