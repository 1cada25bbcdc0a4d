import {
  Field,
  Int32,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  TimestampNanosecond,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { numberToText, textToNumber, WatermarkTracker, type WatermarkType } from './watermark.js';

describe('watermark values', () => {
  it('round-trips canonical text at every timestamp precision, before and after 1970', () => {
    const cases: [WatermarkType, string][] = [
      [{ kind: 'timestamp', unit: 'nanosecond' }, '2026-01-01 00:00:00.000000001'],
      [{ kind: 'timestamp', unit: 'second' }, '1969-12-31 23:59:59'],
      [{ kind: 'timestamp', unit: 'millisecond' }, '1960-06-01 12:30:00.250'],
      [{ kind: 'timestamptz', unit: 'microsecond' }, '1969-12-31 23:59:59.999999+00'],
      [{ kind: 'date' }, '1900-02-28'],
      [{ kind: 'integer' }, '-9223372036854775808'],
    ];
    for (const [type, text] of cases) expect(numberToText(textToNumber(text, type), type)).toBe(text);
  });

  it('rejects malformed stored text', () => {
    expect(() => textToNumber('2026-01-01T00:00:00Z', { kind: 'timestamp', unit: 'microsecond' })).toThrow(
      '--full-refresh',
    );
    expect(() => textToNumber('12a', { kind: 'integer' })).toThrow('malformed');
  });
});

describe('watermark tracker', () => {
  function batch(ids: (number | null)[], ts: bigint[], names: string[]): RecordBatch {
    const fields = [
      new Field('id', new Int32(), true),
      new Field('ts', new TimestampNanosecond(), false),
      new Field('name', new Utf8(), false),
    ];
    const children = [
      vectorFromArray(ids, new Int32()).data[0],
      makeData({ type: new TimestampNanosecond(), length: ts.length, data: BigInt64Array.from(ts) }),
      vectorFromArray(names, new Utf8()).data[0],
    ];
    const struct = makeData({
      type: new Struct(fields),
      length: ids.length,
      nullCount: 0,
      children: children as never,
    });
    return new RecordBatch(new Schema(fields), struct);
  }

  it('keeps the largest value over batches in any order, skipping nulls', () => {
    const tracker = new WatermarkTracker(['id'], [{ kind: 'integer' }]);
    tracker.observe(batch([5, null, 9, 2], [1n, 2n, 3n, 4n], ['a', 'b', 'c', 'd']));
    tracker.observe(batch([7, 1], [5n, 6n], ['e', 'f']));
    expect(tracker.value()).toEqual(['9']);
  });

  it('compares (timestamp, key) pairs lexicographically', () => {
    const tracker = new WatermarkTracker(
      ['ts', 'id'],
      [{ kind: 'timestamp', unit: 'nanosecond' }, { kind: 'integer' }],
    );
    tracker.observe(batch([3, 8, 4], [10n, 9n, 10n], ['a', 'b', 'c']));
    expect(tracker.value()).toEqual(['1970-01-01 00:00:00.000000010', '4']);
  });

  it('takes the last row read for a text watermark (the query orders by it)', () => {
    const tracker = new WatermarkTracker(['name'], [{ kind: 'text' }]);
    tracker.observe(batch([1, 2], [1n, 2n], ['Ä', 'b']));
    expect(tracker.byOrder).toBe(true);
    expect(tracker.value()).toEqual(['b']);
  });
});
