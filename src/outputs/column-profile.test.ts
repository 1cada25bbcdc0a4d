import { Float64, Utf8 } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { Profiler } from './column-profile.js';
import { batchOf, ticketBatch } from './test-batches.js';

describe('Profiler', () => {
  it('estimates distinct values within a few percent and reports nulls, ranges and lengths', () => {
    const profiler = new Profiler(ticketBatch(0, 1).schema);
    for (let from = 0; from < 50_000; from += 10_000) profiler.add(ticketBatch(from, 10_000, 20_000));
    const [id, customer, text] = profiler.result();
    expect(Math.abs((id?.distinct_estimate ?? 0) / 50_000 - 1)).toBeLessThan(0.05);
    expect(Math.abs((customer?.distinct_estimate ?? 0) / 20_000 - 1)).toBeLessThan(0.05);
    expect(id).toMatchObject({ rows: 50_000, null_ratio: 0, min: 0, max: 49_999 });
    expect(text?.length_quantiles?.max).toBeGreaterThan(20);
    expect(text).not.toHaveProperty('min');
  });

  it('counts nulls and gives no text values', () => {
    const batch = batchOf({
      s: { type: new Utf8(), values: ['secret-a', null, 'secret-b', null] },
      f: { type: new Float64(), values: [1.5, null, -2, 4] },
    });
    const profiler = new Profiler(batch.schema);
    profiler.add(batch);
    const [s, f] = profiler.result();
    expect(s).toMatchObject({ null_ratio: 0.5, distinct_estimate: 2, length_quantiles: { p50: 8, max: 8 } });
    expect(JSON.stringify(s)).not.toContain('secret');
    expect(f).toMatchObject({ null_ratio: 0.25, min: -2, max: 4, distinct_estimate: 3 });
  });
});
