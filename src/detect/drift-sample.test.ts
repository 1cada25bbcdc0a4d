import { Field, makeData, RecordBatch, Schema, Struct, Utf8, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { detectDrift } from './detect-drift.js';
import { driftSample, driftSampleSize } from './drift-sample.js';

const schema = new Schema([new Field('notes', new Utf8(), true)]);
const batch = (notes: (string | null)[]) =>
  new RecordBatch(
    schema,
    makeData({
      type: new Struct(schema.fields),
      length: notes.length,
      nullCount: 0,
      children: [vectorFromArray(notes, new Utf8()).data[0]!],
    }),
  );

const ROWS = 65_536;
const clean = (i: number) => (i % 9 === 0 ? null : `ticket ${i % 100} about the invoice`);
const ssn = (i: number) => `call me, ssn 234-56-${String(1000 + (i % 8000)).padStart(4, '0')}`;

describe('drift scan of large batches', () => {
  it('finds PII at the threshold however it is spread, with the ratio of the whole batch', () => {
    const threshold = 0.05;
    const layouts: Record<string, (i: number) => boolean> = {
      'every 20th row': (i) => i % 20 === 7,
      'one block': (i) => i >= 30_000 && i < 30_000 + ROWS / 20,
      'at the end': (i) => i >= ROWS - ROWS / 20,
    };
    for (const [name, isPii] of Object.entries(layouts)) {
      const notes = Array.from({ length: ROWS }, (_, i) => (isPii(i) ? ssn(i) : clean(i)));
      const valid = notes.filter((n) => n !== null).length;
      const expected = notes.filter((n, i) => n !== null && isPii(i)).length / valid;
      expect(detectDrift(batch(notes), new Set(), threshold), name).toEqual([
        { column: 'notes', kind: 'ssn', ratio: expected },
      ]);
    }
  });

  it('reports nothing for a clean column or one below the threshold', () => {
    expect(detectDrift(batch(Array.from({ length: ROWS }, (_, i) => clean(i))), new Set(), 0.05)).toEqual([]);
    const rare = Array.from({ length: ROWS }, (_, i) => (i % 100 === 0 ? ssn(i) : clean(i)));
    expect(detectDrift(batch(rare), new Set(), 0.05)).toEqual([]);
  });

  it('samples only columns at least twice the sample size, the same values every time', () => {
    const size = driftSampleSize(0.05);
    expect(size).toBe(5120);
    const small = vectorFromArray(
      Array.from({ length: 2 * size - 1 }, (_, i) => `v${i}`),
      new Utf8(),
    );
    expect(driftSample(small, size)).toBeUndefined();
    const large = vectorFromArray(
      Array.from({ length: ROWS }, (_, i) => clean(i)),
      new Utf8(),
    );
    const a = driftSample(large, size);
    expect(a?.length).toBe(size);
    expect(a?.nullCount).toBe(0);
    expect(a?.toArray()).toEqual(driftSample(large, size)?.toArray());
    expect(new Set(a?.toArray()).size).toBeGreaterThan(50);
  });
});
