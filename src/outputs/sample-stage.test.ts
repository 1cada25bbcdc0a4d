import { describe, expect, it } from 'vitest';
import { applyStages } from './batch-stage.js';
import { FractionSampleStage, RowsSampleStage } from './sample-stage.js';
import { columnValues, ticketBatch } from './test-batches.js';

async function ids(batches: ReturnType<typeof ticketBatch>[], stage: FractionSampleStage | RowsSampleStage) {
  const out: unknown[] = [];
  async function* from() {
    yield* batches;
  }
  for await (const b of applyStages(from(), [stage])) out.push(...columnValues(b, 'id'));
  return out;
}

describe('FractionSampleStage', () => {
  it('keeps about the fraction, the same rows for the same seed, and counts the rest', async () => {
    const batches = [ticketBatch(0, 5000, 5000), ticketBatch(5000, 5000, 5000)];
    const stage = new FractionSampleStage(0.1, 7);
    const first = await ids(batches, stage);
    expect(first.length / 10_000).toBeGreaterThan(0.09);
    expect(first.length / 10_000).toBeLessThan(0.11);
    expect(stage.drops()[0]?.rows).toBe(10_000 - first.length);
    expect(await ids(batches, new FractionSampleStage(0.1, 7))).toEqual(first);
    expect(await ids(batches, new FractionSampleStage(0.1, 8))).not.toEqual(first);
  });

  it('samples whole entities when hashing by the entity column', async () => {
    const stage = new FractionSampleStage(0.2, 1, ['customer']);
    const batch = ticketBatch(0, 4000, 400);
    const kept = new Set<unknown>();
    async function* one() {
      yield batch;
    }
    for await (const b of applyStages(one(), [stage]))
      for (const c of columnValues(b, 'customer')) kept.add(c);
    const rows = columnValues(batch, 'customer').filter((c) => kept.has(c)).length;
    expect(rows).toBe(kept.size * 10);
  });
});

describe('RowsSampleStage', () => {
  it('keeps exactly the asked rows, whatever the batch boundaries and row order', async () => {
    const whole = await ids([ticketBatch(0, 3000, 3000)], new RowsSampleStage(100, 3));
    const pieces = await ids(
      [ticketBatch(2000, 1000, 3000), ticketBatch(0, 1000, 3000), ticketBatch(1000, 1000, 3000)],
      new RowsSampleStage(100, 3),
    );
    expect(whole).toHaveLength(100);
    expect(new Set(pieces)).toEqual(new Set(whole));
  });

  it('keeps everything when there are fewer rows than asked', async () => {
    const stage = new RowsSampleStage(500, 0);
    expect(await ids([ticketBatch(0, 42)], stage)).toHaveLength(42);
    expect(stage.drops()[0]?.rows).toBe(0);
  });
});
