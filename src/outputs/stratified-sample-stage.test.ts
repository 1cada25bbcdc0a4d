import { Int64, type RecordBatch, Utf8 } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { applyStages } from './batch-stage.js';
import { allocate, StratifiedRowsSampleStage } from './stratified-sample-stage.js';
import { batchOf, columnValues } from './test-batches.js';

/** `n` rows whose `lang` is `en` for 70 %, `de` for 20 %, `fr` for 9 % and `it` for 1 % of ids. */
function rows(from: number, n: number): RecordBatch {
  const ids: bigint[] = [];
  const lang: string[] = [];
  for (let i = from; i < from + n; i++) {
    ids.push(BigInt(i));
    const m = i % 100;
    lang.push(m < 70 ? 'en' : m < 90 ? 'de' : m < 99 ? 'fr' : 'it');
  }
  return batchOf({ id: { type: new Int64(), values: ids }, lang: { type: new Utf8(), values: lang } });
}

/** The same 10,000 rows cut into batches of `size`, in reverse batch order when `reverse`. */
function stream(size: number, reverse = false): RecordBatch[] {
  const out: RecordBatch[] = [];
  for (let from = 0; from < 10_000; from += size) out.push(rows(from, Math.min(size, 10_000 - from)));
  return reverse ? out.reverse() : out;
}

async function sample(batches: RecordBatch[], stage: StratifiedRowsSampleStage) {
  const ids: unknown[] = [];
  const langs: unknown[] = [];
  async function* from() {
    yield* batches;
  }
  for await (const b of applyStages(from(), [stage])) {
    ids.push(...columnValues(b, 'id'));
    langs.push(...columnValues(b, 'lang'));
  }
  return { ids, langs };
}

function counts(values: unknown[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[String(v)] = (out[String(v)] ?? 0) + 1;
  return out;
}

describe('StratifiedRowsSampleStage', () => {
  it('keeps each stratum in its share of the rows', async () => {
    const stage = new StratifiedRowsSampleStage(500, 7, 'lang');
    const { ids, langs } = await sample(stream(1000), stage);
    expect(ids).toHaveLength(500);
    expect(counts(langs)).toEqual({ en: 350, de: 100, fr: 45, it: 5 });
    expect(stage.drops()).toEqual([{ stage: 'sample', reason: 'not_sampled', rows: 9500 }]);
  });

  it('picks the same rows in two runs, whatever the batch sizes and batch order', async () => {
    const first = await sample(stream(1000), new StratifiedRowsSampleStage(300, 3, 'lang'));
    const again = await sample(stream(1000), new StratifiedRowsSampleStage(300, 3, 'lang'));
    const small = await sample(stream(137, true), new StratifiedRowsSampleStage(300, 3, 'lang'));
    expect(again.ids).toEqual(first.ids);
    expect(new Set(small.ids)).toEqual(new Set(first.ids));
    const other = await sample(stream(1000), new StratifiedRowsSampleStage(300, 4, 'lang'));
    expect(new Set(other.ids)).not.toEqual(new Set(first.ids));
  });

  it('keeps every row when there are fewer than asked', async () => {
    const { ids } = await sample([rows(0, 40)], new StratifiedRowsSampleStage(100, 0, 'lang'));
    expect(ids).toHaveLength(40);
  });
});

describe('allocate', () => {
  it('splits by largest remainder and never beyond a group size', () => {
    expect(allocate(10, [5, 3, 2])).toEqual([5, 3, 2]);
    expect(allocate(3, [1, 1, 1, 1])).toEqual([1, 1, 1, 0]);
    expect(allocate(7, [50, 30, 20])).toEqual([4, 2, 1]);
    expect(allocate(5, [1000, 1])).toEqual([5, 0]);
  });
});
