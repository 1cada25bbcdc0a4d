import type { RecordBatch } from 'apache-arrow';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { duckdbConnection, duckdbConnectionSchema } from './index.js';
import { testContext } from './test-context.js';

let ctx: Awaited<ReturnType<typeof testContext>>;
beforeEach(async () => {
  ctx = await testContext();
});
afterEach(async () => {
  await ctx.cleanup();
});

async function readAll(query: string, batchRows = 1000): Promise<RecordBatch[]> {
  const config = duckdbConnectionSchema.parse({ type: 'duckdb' });
  const source = duckdbConnection.createSource(config, { name: 'types', query, batch_rows: batchRows }, ctx);
  const out: RecordBatch[] = [];
  for await (const b of source.read(new AbortController().signal)) out.push(b);
  return out;
}

// Row 0 holds a value, row 1 NULL, row 2 another value, for every type.
const CASES: [string, string, string, (v: unknown) => unknown, unknown[]][] = [
  ['BOOLEAN', 'true', 'false', (v) => v, [true, null, false]],
  ['TINYINT', '-128', '127', (v) => v, [-128, null, 127]],
  ['SMALLINT', '-32768', '32767', (v) => v, [-32768, null, 32767]],
  ['INTEGER', '-2147483648', '2147483647', (v) => v, [-2147483648, null, 2147483647]],
  [
    'BIGINT',
    '-9223372036854775808',
    '9007199254740993',
    (v) => v,
    [-9223372036854775808n, null, 9007199254740993n],
  ],
  ['UTINYINT', '0', '255', (v) => v, [0, null, 255]],
  ['USMALLINT', '0', '65535', (v) => v, [0, null, 65535]],
  ['UINTEGER', '0', '4294967295', (v) => v, [0, null, 4294967295]],
  ['UBIGINT', '0', '18446744073709551615', (v) => v, [0n, null, 18446744073709551615n]],
  ['FLOAT', '1.5', '-0.25', (v) => v, [1.5, null, -0.25]],
  ['DOUBLE', '2.5e-300', '-1e300', (v) => v, [2.5e-300, null, -1e300]],
  [
    'VARCHAR',
    "'héllo wörld, a longer string than twelve bytes'",
    "''",
    (v) => v,
    ['héllo wörld, a longer string than twelve bytes', null, ''],
  ],
  [
    'BLOB',
    "'\\x00\\xFF'::BLOB",
    "'abc'::BLOB",
    (v) => (v === null ? null : Array.from(v as Uint8Array)),
    [[0, 255], null, [97, 98, 99]],
  ],
  ['DATE', "'1970-01-02'", "'1969-12-31'", (v) => v, [86400000, null, -86400000]],
  ['TIME', "'01:02:03.000004'", "'00:00:00'", (v) => v, [3723000004n, null, 0n]],
  [
    'TIMESTAMP',
    "'2020-01-01 00:00:00.000001'",
    "'1969-12-31 23:59:59'",
    (v) => v,
    [1577836800000.001, null, -1000],
  ],
  [
    'UUID',
    "'00000000-0000-0000-0000-000000000001'",
    "'ffffffff-ffff-ffff-ffff-ffffffffffff'",
    (v) => v,
    ['00000000-0000-0000-0000-000000000001', null, 'ffffffff-ffff-ffff-ffff-ffffffffffff'],
  ],
];

describe('DuckDB → Arrow type mapping', () => {
  for (const [type, a, b, read, expected] of CASES) {
    it(`round-trips ${type} with nulls`, async () => {
      const [batch] = await readAll(
        `SELECT * FROM (VALUES (1, (${a})::${type}), (2, NULL), (3, (${b})::${type})) t(k, v) ORDER BY k`,
      );
      const vector = batch?.getChild('v');
      expect(vector?.nullCount).toBe(1);
      expect([0, 1, 2].map((i) => read(vector?.get(i) ?? null))).toEqual(expected);
    });
  }

  it('maps every type to the documented Arrow type', async () => {
    const cols = CASES.map(([t, a], i) => `(${a})::${t} AS c${i}`).join(', ');
    const [batch] = await readAll(
      `SELECT ${cols}, TIMESTAMPTZ '2020-01-01 00:00:00+00' AS tz, 1.5::DECIMAL(10,2) AS d, [1, 2]::INTEGER[] AS l, 'a'::ENUM('a', 'b') AS e`,
    );
    expect(batch?.schema.fields.map((f) => String(f.type))).toEqual([
      'Bool',
      'Int8',
      'Int16',
      'Int32',
      'Int64',
      'Uint8',
      'Uint16',
      'Uint32',
      'Uint64',
      'Float32',
      'Float64',
      'Utf8',
      'Binary',
      'Date32<DAY>',
      'Time64<MICROSECOND>',
      'Timestamp<MICROSECOND>',
      'Utf8',
      'Timestamp<MICROSECOND, UTC>',
      'Decimal[10e+2]',
      'List<Int32>',
      'Utf8',
    ]);
  });

  it('keeps TIMESTAMP WITH TIME ZONE as UTC microseconds', async () => {
    const [batch] = await readAll(
      "SELECT * FROM (VALUES (1, TIMESTAMPTZ '2020-01-01 01:00:00+01'), (2, NULL)) t(k, v) ORDER BY k",
    );
    const v = batch?.getChild('v');
    expect((v?.data[0]?.values as BigInt64Array | undefined)?.[0]).toBe(1577836800000000n);
    expect(v?.get(1)).toBeNull();
  });

  it('builds DECIMAL as Arrow Decimal128 with exact unscaled values at every width', async () => {
    const [batch] = await readAll(
      `SELECT * FROM (VALUES (1, -12.34::DECIMAL(4,2), 1234567.89::DECIMAL(9,2), -123456789012345.678::DECIMAL(18,3), '-12345678901234567890123456789.123456789'::DECIMAL(38,9)),
       (2, NULL, NULL, NULL, NULL)) t(k, a, b, c, d) ORDER BY k`,
    );
    const unscaled = (name: string): (bigint | null)[] => {
      const data = batch?.getChild(name)?.data[0];
      const words = new BigInt64Array(
        (data?.values as Uint32Array | undefined)?.buffer ?? new ArrayBuffer(0),
      );
      return [0, 1].map((i) =>
        data?.getValid(i)
          ? (words[i * 2 + 1] as bigint) * 2n ** 64n + BigInt.asUintN(64, words[i * 2] as bigint)
          : null,
      );
    };
    expect(unscaled('a')).toEqual([-1234n, null]);
    expect(unscaled('b')).toEqual([123456789n, null]);
    expect(unscaled('c')).toEqual([-123456789012345678n, null]);
    expect(unscaled('d')).toEqual([-12345678901234567890123456789123456789n, null]);
    const type = batch?.getChild('d')?.type as { precision: number; scale: number };
    expect([type.precision, type.scale]).toEqual([38, 9]);
  });

  it('builds LIST with null lists and null elements', async () => {
    const [batch] = await readAll(
      "SELECT * FROM (VALUES (1, ['a', NULL, 'c']), (2, NULL), (3, []::VARCHAR[])) t(k, v) ORDER BY k",
    );
    const v = batch?.getChild('v');
    expect(v?.get(0)?.toArray()).toEqual(['a', null, 'c']);
    expect(v?.get(1)).toBeNull();
    expect(v?.get(2)?.toArray()).toEqual([]);
  });

  it('maps ENUM to its label text', async () => {
    const [batch] = await readAll(
      "SELECT * FROM (VALUES (1, 'b'::ENUM('a', 'b')), (2, NULL)) t(k, v) ORDER BY k",
    );
    expect([batch?.getChild('v')?.get(0), batch?.getChild('v')?.get(1)]).toEqual(['b', null]);
  });

  it('keeps nulls of fixed-width columns across chunk and batch boundaries', async () => {
    const batches = await readAll(
      'SELECT CASE WHEN range % 3 = 0 THEN NULL ELSE range END AS v FROM range(5000)',
      1500,
    );
    const values = batches.flatMap((b) =>
      Array.from({ length: b.numRows }, (_, i) => b.getChild('v')?.get(i)),
    );
    expect(values.length).toBe(5000);
    values.forEach((v, i) => {
      expect(v).toBe(i % 3 === 0 ? null : BigInt(i));
    });
  });
});
