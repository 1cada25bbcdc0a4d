import { Int64, Utf8 } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { applyStages } from './batch-stage.js';
import { DedupStage } from './dedup-stage.js';
import { FingerprintSet } from './fingerprint-set.js';
import { batchOf, columnValues } from './test-batches.js';

async function* from<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

describe('DedupStage', () => {
  const a = batchOf({
    id: { type: new Int64(), values: [1n, 2n, 3n, 4n] },
    text: { type: new Utf8(), values: ['x', 'y', 'x', null] },
  });
  const b = batchOf({
    id: { type: new Int64(), values: [5n, 6n, 7n] },
    text: { type: new Utf8(), values: [null, 'z', 'y'] },
  });

  it('keeps the first row of each text across batches and counts the others', async () => {
    const stage = new DedupStage(['text']);
    const out = [];
    for await (const batch of applyStages(from([a, b]), [stage])) out.push(...columnValues(batch, 'id'));
    expect(out).toEqual([1n, 2n, 4n, 6n]);
    expect(stage.drops()).toEqual([{ stage: 'dedup', reason: 'duplicate', rows: 3 }]);
  });

  it('drops nothing when the key columns make every row distinct', async () => {
    const stage = new DedupStage(['id', 'text']);
    let rows = 0;
    for await (const batch of applyStages(from([a, b]), [stage])) rows += batch.numRows;
    expect(rows).toBe(7);
    expect(stage.drops()[0]?.rows).toBe(0);
  });

  it('does not confuse values split differently across columns', async () => {
    const c = batchOf({
      p: { type: new Utf8(), values: ['ab', 'a'] },
      q: { type: new Utf8(), values: ['c', 'bc'] },
    });
    const stage = new DedupStage(['p', 'q']);
    expect(stage.push(c)[0]?.numRows).toBe(2);
  });
});

describe('FingerprintSet', () => {
  it('remembers a million fingerprints in 32 MB or less', () => {
    const set = new FingerprintSet();
    for (let i = 0; i < 1_000_000; i++) set.add(Math.imul(i, 0x9e3779b1), i);
    for (let i = 0; i < 1_000_000; i += 1000) expect(set.add(Math.imul(i, 0x9e3779b1), i)).toBe(false);
    expect(set.size).toBe(1_000_000);
    expect(set.bytes).toBeLessThanOrEqual(32 * 1024 * 1024);
  });
});
