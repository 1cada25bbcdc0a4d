import { Float64, Int64, Utf8 } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { SplitAssigner } from './split-assigner.js';
import { batchOf, columnValues, ticketBatch } from './test-batches.js';

const parts = { train: 0.9, validation: 0.05, test: 0.05 };
const key = new TextEncoder().encode('a test key of 32 bytes..........');

function splitOf(assigner: SplitAssigner, from: number, n: number, customers: number): Map<string, string> {
  const batch = ticketBatch(from, n, customers);
  const p = assigner.assign(batch);
  const ids = columnValues(batch, 'id');
  return new Map(ids.map((id, i) => [String(id), assigner.names[p[i]!]!]));
}

describe('SplitAssigner', () => {
  it('keeps every row in its split when a later run has more rows', () => {
    const first = splitOf(new SplitAssigner('customer', parts, key), 0, 5000, 2000);
    const second = splitOf(new SplitAssigner('customer', parts, key), 0, 8000, 2000);
    for (const [id, split] of first) expect(second.get(id)).toBe(split);
  });

  it('puts all rows of one entity in one split', () => {
    const assigner = new SplitAssigner('customer', parts, key);
    const batch = ticketBatch(0, 20_000, 1500);
    const p = assigner.assign(batch);
    const seen = new Map<string, number>();
    for (const [i, c] of columnValues(batch, 'customer').entries()) {
      const before = seen.get(c as string);
      if (before !== undefined) expect(p[i]).toBe(before);
      seen.set(c as string, p[i]!);
    }
  });

  it('matches the requested proportions within a few points on 20 000 entities', () => {
    const assigner = new SplitAssigner('customer', parts, key);
    const p = assigner.assign(ticketBatch(0, 20_000, 20_000));
    const counts = [0, 0, 0];
    for (const x of p) counts[x]!++;
    expect(counts[0]! / 20_000).toBeCloseTo(0.9, 1);
    expect(Math.abs(counts[1]! / 20_000 - 0.05)).toBeLessThan(0.01);
    expect(Math.abs(counts[2]! / 20_000 - 0.05)).toBeLessThan(0.01);
  });

  it('gives a different assignment with a different key', () => {
    const a = splitOf(new SplitAssigner('customer', parts, key), 0, 2000, 2000);
    const b = splitOf(new SplitAssigner('customer', parts, new Uint8Array(32)), 0, 2000, 2000);
    let differ = 0;
    for (const [id, s] of a) if (b.get(id) !== s) differ++;
    expect(differ).toBeGreaterThan(50);
  });

  it('splits an integer column the same as its decimal text, like the hmac mask', () => {
    const ints = batchOf({ k: { type: new Int64(), values: [1n, 22n, 333n, -4n, null] } });
    const texts = batchOf({ k: { type: new Utf8(), values: ['1', '22', '333', '-4', null] } });
    const assigner = new SplitAssigner('k', { a: 1, b: 1, c: 1 }, key);
    expect([...assigner.assign(ints)]).toEqual([...assigner.assign(texts)]);
  });

  it('refuses a missing column or a column type it cannot hash, before any row is read', () => {
    const assigner = new SplitAssigner('nope', parts, key);
    const schema = batchOf({ f: { type: new Float64(), values: [1.5] } }).schema;
    expect(() => assigner.check(schema, 'output `x`')).toThrow(/`nope`.*not in the output/);
    expect(() => new SplitAssigner('f', parts, key).check(schema, 'output `x`')).toThrow(/text or integer/);
  });
});
