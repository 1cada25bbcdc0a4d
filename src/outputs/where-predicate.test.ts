import { Bool, Float64, Int32, Int64, TimestampMillisecond, Utf8 } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { batchOf } from './test-batches.js';
import { compileWhere } from './where-predicate.js';

const batch = batchOf({
  id: { type: new Int64(), values: [1n, 2n, 3n, 4n, 5n, 6n] },
  country: { type: new Utf8(), values: ['DE', 'FR', 'DE', null, 'de', 'Ünïcode'] },
  body: { type: new Utf8(), values: ['short', 'a much longer body', null, 'x', 'hello world', 'ééé'] },
  score: { type: new Float64(), values: [0.5, 1.5, null, 3, -2, 10] },
  n: { type: new Int32(), values: [1, 2, 3, 4, 5, 6] },
  ok: { type: new Bool(), values: [true, false, true, null, true, false] },
  at: { type: new TimestampMillisecond(), values: [0, 0, 0, 0, 0, 0] },
});

async function keptIds(where: string): Promise<number[]> {
  const keep = (await compileWhere(where, batch.schema)).keep(batch);
  return [...keep].flatMap((k, i) => (k ? [i + 1] : []));
}

describe('compileWhere', () => {
  it('filters by comparisons joined with AND, OR and NOT', async () => {
    expect(await keptIds("country = 'DE'")).toEqual([1, 3]);
    expect(await keptIds("country = 'DE' AND length(body) > 3")).toEqual([1]);
    expect(await keptIds("country <> 'DE' OR n >= 5")).toEqual([2, 5, 6]);
    expect(await keptIds("NOT (country = 'DE')")).toEqual([2, 5, 6]);
    expect(await keptIds("'DE' = country")).toEqual([1, 3]);
    expect(await keptIds("country > 'E'")).toEqual([2, 5, 6]);
  });

  it('compares 64-bit integers exactly, also beyond 2^53 (int64 tokens)', async () => {
    const tokens = batchOf({
      token: {
        type: new Int64(),
        values: [9007199254740993n, 9007199254740992n, 9223372036854775807n, -9223372036854775807n],
      },
    });
    const kept = async (where: string) => {
      const keep = (await compileWhere(where, tokens.schema)).keep(tokens);
      return [...keep].flatMap((k, i) => (k ? [i + 1] : []));
    };
    expect(await kept('token = 9007199254740993')).toEqual([1]);
    expect(await kept('token <> 9007199254740992')).toEqual([1, 3, 4]);
    expect(await kept('token > 9007199254740992')).toEqual([1, 3]);
    expect(await kept('token IN (9223372036854775807, 1)')).toEqual([3]);
    expect(await kept('token BETWEEN 9007199254740993 AND 9223372036854775806')).toEqual([1]);
    expect(await kept('token < 0')).toEqual([4]);
  });

  it('treats NULL as SQL does: unknown rows are not kept', async () => {
    expect(await keptIds('score > 0')).toEqual([1, 2, 4, 6]);
    expect(await keptIds('NOT (score > 0)')).toEqual([5]);
    expect(await keptIds('country IS NULL')).toEqual([4]);
    expect(await keptIds('body IS NOT NULL AND score IS NULL')).toEqual([]);
    expect(await keptIds('score > 0 OR n = 3')).toEqual([1, 2, 3, 4, 6]);
    expect(await keptIds('country = NULL')).toEqual([]);
    expect(await keptIds("coalesce(country, 'none') = 'none'")).toEqual([4]);
  });

  it('supports IN, BETWEEN, LIKE, ILIKE, arithmetic and the allowed functions', async () => {
    expect(await keptIds("country IN ('FR', 'de')")).toEqual([2, 5]);
    expect(await keptIds("country NOT IN ('FR', 'de')")).toEqual([1, 3, 6]);
    expect(await keptIds('n BETWEEN 2 AND 4')).toEqual([2, 3, 4]);
    expect(await keptIds('n NOT BETWEEN 2 AND 4')).toEqual([1, 5, 6]);
    expect(await keptIds("body LIKE '%o_l%'")).toEqual([5]);
    expect(await keptIds("country ILIKE 'de'")).toEqual([1, 3, 5]);
    expect(await keptIds("body NOT LIKE 's%'")).toEqual([2, 4, 5, 6]);
    expect(await keptIds('n * 2 + 1 > 9 AND -n < -4')).toEqual([5, 6]);
    expect(await keptIds('n / 0 > 1 OR n % 2 = 0')).toEqual([2, 4, 6]);
    expect(await keptIds("lower(country) = 'de' AND upper(country) = 'DE'")).toEqual([1, 3, 5]);
    expect(await keptIds('length(body) = 3 AND char_length(body) = 3')).toEqual([6]);
    expect(await keptIds('abs(score) = 2')).toEqual([5]);
    expect(await keptIds("trim(body) = 'x' AND trim(both from body) = 'x'")).toEqual([4]);
    expect(await keptIds('ok')).toEqual([1, 3, 5]);
    expect(await keptIds('ok = false')).toEqual([2, 6]);
    expect(await keptIds('id >= 5')).toEqual([5, 6]);
  });

  it('reads a sliced batch at the right rows', async () => {
    const p = await compileWhere("country = 'DE' OR ok", batch.schema);
    expect([...p.keep(batch.slice(2, 5))]).toEqual([1, 0, 1]);
  });

  it.each([
    ['(SELECT 1) = 1', /subqueries are not allowed/],
    ['now() > 1', /function `now` is not allowed/],
    ['pg_sleep(1) IS NULL', /function `pg_sleep` is not allowed/],
    ['email = 1', /unknown column `email`.*`country`/],
    ['country = 5', /cannot compare text with num/],
    ['n > 1; DROP TABLE t', /must be one condition/],
    ['n > 1 UNION SELECT 2', /must be one condition/],
    ['n > 1 ORDER BY 1', /must be one condition/],
    ['t.n > 1', /named by itself/],
    ['n::text = 1', /type casts/],
    ['at > 1', /column `at` has type Timestamp/],
    ['length(n) > 1', /`length` takes text/],
    ['n + 1', /must be a condition/],
    ['country LIKE body', /must be one text literal/],
    ['n >', /does not parse/],
  ])('rejects `%s`', async (where, message) => {
    const error = await compileWhere(where, batch.schema).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
    expect((error as Error).message).toMatch(message);
  });

  it('names the position of the offending construct', async () => {
    const error = (await compileWhere('n > 1 AND upper(x) = 1', batch.schema).catch(
      (e: unknown) => e,
    )) as Error;
    expect(error.message).toMatch(/at character 17/);
  });
});
