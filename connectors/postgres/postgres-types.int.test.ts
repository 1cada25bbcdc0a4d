import { type RecordBatch, Table, tableToIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, sourceFor, startTestDatabase } from './test/harness.js';

let pg: { url: string; stop(): Promise<void> };

const SETUP = `
CREATE EXTENSION IF NOT EXISTS citext;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS int4 CHECK (VALUE > 0);
CREATE DOMAIN price AS numeric(12,2);
CREATE TABLE everything (
  id int4, i2 int2, i8 int8, n numeric(12,3), n_big numeric(30,10), n_free numeric,
  f4 float4, f8 float8, b bool, t text, vc varchar(10), c char(4), ci citext, by bytea,
  d date, tm time, ts timestamp, tstz timestamptz, iv interval, u uuid, j json, jb jsonb,
  ip inet, net cidr, ia int4[], ta text[], na numeric(6,2)[], mo mood, moa mood[],
  dom posint, pr price, pt point, ttz timetz, tsa timestamptz[], ipa inet[]
);
INSERT INTO everything VALUES
(1, 32767, 9223372036854775807, 123456789.123, -12345678901234567890.1234567890, 3.14159265358979323846,
 1.1, 0.1, true, 'héllo 🙂', 'abc', 'ab', 'MiXeD', '\\x00ff10',
 '2024-02-29', '23:59:59.999999', '2024-01-02 03:04:05.678901', '2024-01-02 03:04:05.678901+02',
 '1 year 2 months 3 days 04:05:06.789', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2]}', '{"b": {"c": null}}',
 '192.168.0.1/24', '10.0.0.0/8', '{1,NULL,3}', '{"a b","c\\"d",NULL,"NULL",""}', '{1.50,-2.25}', 'happy', '{sad,happy}',
 5, 10.5, '(1,2)', '12:00:00+05', '{"2024-01-01 00:00:00+00",NULL}', '{10.0.0.1,NULL,10.0.0.0/8}'),
(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
(3, -32768, -9223372036854775808, -0.001, 0, 'NaN', 'NaN', '-Infinity', false, '', '', '', '', '\\x',
 '0044-03-15 BC', '00:00:00', '1900-01-01 00:00:00', '1969-12-31 23:59:59.5+00',
 '-1 days -00:00:01.5', '00000000-0000-0000-0000-000000000000', '[]', '[]',
 '::ffff:1.2.3.4', '2001:db8::/32', '{}', '{}', '{}', 'sad', '{}', 1, -0.01, '(0,0)', '00:00:00+00', '{}', '{}');
`;

beforeAll(async () => {
  pg = await startTestDatabase();
  await admin(pg.url, SETUP);
});
afterAll(() => pg?.stop());

async function readAll(copyBinary: boolean, query: string, batchRows = 2): Promise<RecordBatch[]> {
  const source = sourceFor(pg.url, { query, batchRows, config: { copy_binary: copyBinary } });
  const batches: RecordBatch[] = [];
  try {
    for await (const batch of source.read(new AbortController().signal)) batches.push(batch);
  } finally {
    await source.close();
  }
  return batches;
}

describe('PostgreSQL types', () => {
  it('maps every supported type to the documented Arrow type', async () => {
    const source = sourceFor(pg.url, { query: 'SELECT * FROM everything' });
    const schema = await source.describe(new AbortController().signal);
    await source.close();
    const types = Object.fromEntries(schema.fields.map((f) => [f.name, String(f.type)]));
    expect(types).toEqual({
      id: 'Int32',
      i2: 'Int16',
      i8: 'Int64',
      n: 'Decimal[12e+3]',
      n_big: 'Decimal[30e+10]',
      n_free: 'Utf8',
      f4: 'Float32',
      f8: 'Float64',
      b: 'Bool',
      t: 'Utf8',
      vc: 'Utf8',
      c: 'Utf8',
      ci: 'Utf8',
      by: 'Binary',
      d: 'Date32<DAY>',
      tm: 'Time64<MICROSECOND>',
      ts: 'Timestamp<MICROSECOND>',
      tstz: 'Timestamp<MICROSECOND, UTC>',
      iv: 'Interval<MONTH_DAY_NANO>',
      u: 'Utf8',
      j: 'Utf8',
      jb: 'Utf8',
      ip: 'Utf8',
      net: 'Utf8',
      ia: 'List<Int32>',
      ta: 'List<Utf8>',
      na: 'List<Decimal[6e+2]>',
      mo: 'Dictionary<Int32, Utf8>',
      moa: 'List<Dictionary<Int32, Utf8>>',
      dom: 'Int32',
      pr: 'Decimal[12e+2]',
      pt: 'Utf8',
      ttz: 'Utf8',
      tsa: 'List<Timestamp<MICROSECOND, UTC>>',
      ipa: 'List<Utf8>',
    });
  });

  it('gives identical batches through binary COPY and the cursor, nulls included', async () => {
    const query = 'SELECT * FROM everything ORDER BY id';
    const copied = await readAll(true, query);
    const cursored = await readAll(false, query);
    expect(copied.map((b) => b.numRows)).toEqual([2, 1]);
    expect(cursored.map((b) => b.numRows)).toEqual([2, 1]);
    expect(Buffer.from(tableToIPC(new Table(copied)))).toEqual(Buffer.from(tableToIPC(new Table(cursored))));
  });

  it('reads the values PostgreSQL holds', async () => {
    const table = new Table(await readAll(true, 'SELECT * FROM everything ORDER BY id', 10));
    const row = (name: string, i: number) => table.getChild(name)?.get(i);
    // arrow-js returns timestamps as float milliseconds; check the stored microseconds.
    const micros = (name: string, i: number) => table.getChild(name)?.data[0]?.values[i];
    expect(row('i8', 0)).toBe(9223372036854775807n);
    expect(row('i8', 2)).toBe(-9223372036854775808n);
    expect(row('i2', 2)).toBe(-32768);
    expect(String(row('n', 0))).toBe('123456789123');
    expect(String(row('n_big', 0))).toBe('-123456789012345678901234567890');
    expect(String(row('n', 2))).toBe('-1');
    expect(row('n_free', 0)).toBe('3.14159265358979323846');
    expect(row('n_free', 2)).toBe('NaN');
    expect(row('f4', 0)).toBe(Math.fround(1.1));
    expect(row('f8', 2)).toBe(Number.NEGATIVE_INFINITY);
    expect(row('t', 0)).toBe('héllo 🙂');
    expect(row('c', 0)).toBe('ab  ');
    expect(row('ci', 0)).toBe('MiXeD');
    expect([...(row('by', 0) as Uint8Array)]).toEqual([0, 255, 16]);
    expect(row('d', 0)).toBe(Date.UTC(2024, 1, 29));
    expect(row('tm', 0)).toBe(86_399_999_999n);
    expect(micros('ts', 0)).toBe(BigInt(Date.UTC(2024, 0, 2, 3, 4, 5)) * 1000n + 678_901n);
    expect(micros('tstz', 0)).toBe(BigInt(Date.UTC(2024, 0, 2, 1, 4, 5)) * 1000n + 678_901n);
    expect(micros('tstz', 2)).toBe(-500_000n);
    expect([...(row('iv', 0) as Int32Array)]).toEqual([
      14,
      3,
      ...new Int32Array(new BigInt64Array([14_706_789_000_000n]).buffer),
    ]);
    expect(row('u', 0)).toBe('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
    expect(row('jb', 0)).toBe('{"b": {"c": null}}');
    expect(row('ip', 0)).toBe('192.168.0.1/24');
    expect(row('ip', 2)).toBe('::ffff:1.2.3.4');
    expect([...row('ipa', 0)]).toEqual(['10.0.0.1', null, '10.0.0.0/8']);
    expect([...row('ipa', 2)]).toEqual([]);
    expect([...row('ia', 0)]).toEqual([1, null, 3]);
    expect([...row('ta', 0)]).toEqual(['a b', 'c"d', null, 'NULL', '']);
    expect([...row('ta', 2)]).toEqual([]);
    expect([...row('na', 0)].map(String)).toEqual(['150', '-225']);
    expect(row('mo', 0)).toBe('happy');
    expect([...row('moa', 0)]).toEqual(['sad', 'happy']);
    expect(row('dom', 0)).toBe(5);
    expect(row('pt', 0)).toBe('(1,2)');
    expect(row('ttz', 0)).toBe('12:00:00+05');
    for (const field of table.schema.fields) {
      if (field.name !== 'id') expect(row(field.name, 1), field.name).toBeNull();
    }
  });

  it('reads BC dates and negative intervals', async () => {
    const table = new Table(await readAll(false, 'SELECT d, iv FROM everything WHERE id = 3'));
    expect(table.getChild('d')?.get(0)).toBe(Date.UTC(-43, 2, 15));
    const iv = table.getChild('iv')?.get(0) as Int32Array;
    expect([iv[0], iv[1]]).toEqual([0, -1]);
    expect(new BigInt64Array(iv.buffer, iv.byteOffset + 8, 1)[0]).toBe(-1_500_000_000n);
  });

  it('fails naming the column when a value cannot be represented', async () => {
    for (const copyBinary of [true, false]) {
      await expect(
        readAll(copyBinary, "SELECT 1 AS id, 'infinity'::timestamptz AS seen_at"),
      ).rejects.toMatchObject({ code: 'SOURCE_FAILED', message: expect.stringContaining('`seen_at`') });
    }
  });
});
