import { Bool, Field, Float64, Int32, Int64, List, type RecordBatch, Utf8 } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { takeRows } from './take-rows.js';
import { batchOf } from './test-batches.js';

const rows = (b: RecordBatch) =>
  b
    .toArray()
    .map((r) => JSON.parse(JSON.stringify(r.toJSON(), (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))));

describe('takeRows', () => {
  const batch = batchOf({
    s: { type: new Utf8(), values: ['a', null, 'ccc', 'dd', 'é'] },
    i: { type: new Int64(), values: [1n, 2n, null, 4n, 5n] },
    f: { type: new Float64(), values: [0.5, 1.5, 2.5, null, 4.5] },
    b: { type: new Bool(), values: [true, false, null, true, false] },
    l: { type: new List(new Field('item', new Int32(), true)), values: [[1], [], null, [2, 3], [4]] },
  });

  it('keeps the chosen rows of every column type in the given order, nulls included', () => {
    const out = takeRows(batch, Int32Array.from([4, 1, 2]));
    const expected = rows(batch);
    expect(rows(out)).toEqual([expected[4], expected[1], expected[2]]);
  });

  it('reads the right rows of a sliced batch', () => {
    const sliced = batch.slice(1, 5);
    const out = takeRows(sliced, Int32Array.from([0, 2, 3]));
    const expected = rows(batch);
    expect(rows(out)).toEqual([expected[1], expected[3], expected[4]]);
  });

  it('gives an empty batch with the same schema when no row is chosen', () => {
    const out = takeRows(batch, new Int32Array(0));
    expect(out.numRows).toBe(0);
    expect(out.schema.fields.map((f) => f.name)).toEqual(['s', 'i', 'f', 'b', 'l']);
  });

  it('returns the batch itself when every row is kept in order', () => {
    expect(takeRows(batch, Int32Array.from([0, 1, 2, 3, 4]))).toBe(batch);
  });
});
