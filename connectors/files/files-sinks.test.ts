import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  Binary,
  Bool,
  DateDay,
  Decimal,
  Field,
  Float64,
  Int32,
  Int64,
  List,
  makeData,
  makeVector,
  RecordBatch,
  Schema,
  Struct,
  TimestampMicrosecond,
  tableFromIPC,
  Utf8,
  type Vector,
  vectorFromArray,
} from 'apache-arrow';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type ComponentContext,
  createSecretResolver,
  EventBus,
  removeQuietly,
  type Sink,
  silentLogger,
} from '../../src/index.js';
import {
  arrowConfigSchema,
  arrowOutput,
  csvConfigSchema,
  csvOutput,
  filesOutputs,
  jsonlConfigSchema,
  jsonlOutput,
} from './index.js';

let dir: string;
let ctx: ComponentContext;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-files-test-'));
  ctx = {
    runId: 'run1',
    events: new EventBus('run1'),
    logger: silentLogger,
    baseDir: dir,
    tempDir: join(dir, '.tmp'),
    secrets: createSecretResolver(dir, {}),
    keys: { get: async () => new Uint8Array(), ids: () => [] },
  };
});

afterEach(async () => {
  await removeQuietly(dir);
});

function decimalVector(values: (bigint | null)[]): Vector {
  const words = new BigUint64Array(values.length * 2);
  const bitmap = new Uint8Array(Math.ceil(values.length / 8));
  values.forEach((v, i) => {
    if (v === null) return;
    bitmap[i >> 3] = (bitmap[i >> 3] as number) | (1 << (i & 7));
    words[i * 2] = BigInt.asUintN(64, v);
    words[i * 2 + 1] = BigInt.asUintN(64, v >> 64n);
  });
  const nullCount = values.filter((v) => v === null).length;
  return makeVector(
    makeData({
      type: new Decimal(2, 12, 128),
      length: values.length,
      nullCount,
      nullBitmap: bitmap,
      data: new Uint32Array(words.buffer),
    }),
  );
}

/** Three rows of every common type; row 1 is all nulls. */
function sampleBatch(): RecordBatch {
  const columns: Record<string, Vector> = {
    id: vectorFromArray([1, null, 3], new Int32()),
    big: vectorFromArray([9007199254740993n, null, -9223372036854775808n], new Int64()),
    price: decimalVector([-1234n, null, 5n]),
    ratio: vectorFromArray([0.1, null, -2.5e-10], new Float64()),
    name: vectorFromArray(['Ann, "the" first\nline', null, ''], new Utf8()),
    ok: vectorFromArray([true, null, false], new Bool()),
    born: vectorFromArray(
      [new Date(Date.UTC(1970, 0, 2)), null, new Date(Date.UTC(1969, 11, 31))],
      new DateDay(),
    ),
    seen: makeVector(
      makeData({
        type: new TimestampMicrosecond('UTC'),
        length: 3,
        nullCount: 1,
        nullBitmap: new Uint8Array([0b101]),
        data: new BigInt64Array([1577836800000001n, 0n, -1n]),
      }),
    ),
    raw: vectorFromArray([new Uint8Array([0, 255]), null, new Uint8Array([])], new Binary()),
    tags: vectorFromArray([['a', null], null, []], new List(new Field('item', new Utf8(), true))),
  };
  const fields = Object.entries(columns).map(([name, v]) => new Field(name, v.type, true));
  const data = makeData({
    type: new Struct(fields),
    length: 3,
    nullCount: 0,
    children: Object.values(columns).map((v) => v.data[0] as NonNullable<(typeof v.data)[0]>),
  });
  return new RecordBatch(new Schema(fields), data);
}

const signal = () => new AbortController().signal;

async function writeAll(sink: Sink, schema: Schema, batches: RecordBatch[]): Promise<void> {
  await sink.open(schema, signal());
  for (const b of batches) await sink.write(b, signal());
  await sink.finish(signal());
  await sink.commit();
}

async function duckRows(sql: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    return (await c.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

describe('JSONL output', () => {
  it('writes one object per row with exact integers, decimal strings, ISO dates and nulls', async () => {
    const batch = sampleBatch();
    await writeAll(
      jsonlOutput.create(jsonlConfigSchema.parse({ format: 'jsonl', path: 'out/a.jsonl' }), ctx),
      batch.schema,
      [batch],
    );
    const lines = (await readFile(join(dir, 'out/a.jsonl'), 'utf8')).split('\n');
    expect(lines[0]).toBe(
      '{"id":1,"big":9007199254740993,"price":"-12.34","ratio":0.1,"name":"Ann, \\"the\\" first\\nline","ok":true,"born":"1970-01-02","seen":"2020-01-01T00:00:00.000001Z","raw":"AP8=","tags":["a",null]}',
    );
    expect(lines[1]).toBe(
      '{"id":null,"big":null,"price":null,"ratio":null,"name":null,"ok":null,"born":null,"seen":null,"raw":null,"tags":null}',
    );
    expect(lines[2]).toContain('"big":-9223372036854775808');
    expect(lines[2]).toContain('"seen":"1969-12-31T23:59:59.999999Z"');
    expect(lines[3]).toBe('');
  });

  it('reads back with DuckDB read_json as the same rows', async () => {
    const batch = sampleBatch();
    await writeAll(jsonlOutput.create({ format: 'jsonl', path: 'a.jsonl' }, ctx), batch.schema, [batch]);
    const rows = await duckRows(
      `SELECT id, big::VARCHAR AS big, price, name, ok, born::VARCHAR AS born, tags FROM read_json('${join(dir, 'a.jsonl')}', columns = {id: 'INTEGER', big: 'BIGINT', price: 'DECIMAL(12,2)', name: 'VARCHAR', ok: 'BOOLEAN', born: 'DATE', tags: 'VARCHAR[]'})`,
    );
    expect(rows).toEqual([
      {
        id: 1,
        big: '9007199254740993',
        price: -12.34,
        name: 'Ann, "the" first\nline',
        ok: true,
        born: '1970-01-02',
        tags: ['a', null],
      },
      { id: null, big: null, price: null, name: null, ok: null, born: null, tags: null },
      { id: 3, big: '-9223372036854775808', price: 0.05, name: '', ok: false, born: '1969-12-31', tags: [] },
    ]);
  });
});

describe('CSV output', () => {
  it('quotes per RFC 4180, writes NULL as an empty field and the empty string as ""', async () => {
    const batch = sampleBatch();
    await writeAll(
      csvOutput.create(csvConfigSchema.parse({ format: 'csv', path: 'a.csv' }), ctx),
      batch.schema,
      [batch],
    );
    const text = await readFile(join(dir, 'a.csv'), 'utf8');
    expect(text).toBe(
      'id,big,price,ratio,name,ok,born,seen,raw,tags\n' +
        '1,9007199254740993,-12.34,0.1,"Ann, ""the"" first\nline",true,1970-01-02,2020-01-01T00:00:00.000001Z,AP8=,"[""a"",null]"\n' +
        ',,,,,,,,,\n' +
        '3,-9223372036854775808,0.05,-2.5e-10,"",false,1969-12-31,1969-12-31T23:59:59.999999Z,"",[]\n',
    );
  });

  it('reads back with DuckDB read_csv as the same rows, with another delimiter and no header', async () => {
    const batch = sampleBatch();
    const config = csvConfigSchema.parse({ format: 'csv', path: 'b.csv', delimiter: ';', header: false });
    await writeAll(csvOutput.create(config, ctx), batch.schema, [batch]);
    const rows = await duckRows(
      `SELECT id, big::VARCHAR AS big, name, seen::VARCHAR AS seen FROM read_csv('${join(dir, 'b.csv')}', delim = ';', header = false, quote = '"', escape = '"', allow_quoted_nulls = false,
        columns = {id: 'INTEGER', big: 'BIGINT', price: 'DECIMAL(12,2)', ratio: 'DOUBLE', name: 'VARCHAR', ok: 'BOOLEAN', born: 'DATE', seen: 'TIMESTAMPTZ', raw: 'VARCHAR', tags: 'VARCHAR'})`,
    );
    expect(rows.map((r) => [r.id, r.big, r.name])).toEqual([
      [1, '9007199254740993', 'Ann, "the" first\nline'],
      [null, null, null],
      [3, '-9223372036854775808', ''],
    ]);
  });
});

describe('Arrow IPC output', () => {
  for (const ipc of ['file', 'stream'] as const) {
    it(`writes the ${ipc} format that reads back as the same batches`, async () => {
      const batch = sampleBatch();
      const config = arrowConfigSchema.parse({ format: 'arrow', path: `a.${ipc}`, ipc });
      await writeAll(arrowOutput.create(config, ctx), batch.schema, [batch, batch.slice(1, 3)]);
      const table = tableFromIPC(await readFile(join(dir, `a.${ipc}`)));
      expect(table.numRows).toBe(5);
      expect(table.schema.fields.map((f) => String(f.type))).toEqual(
        batch.schema.fields.map((f) => String(f.type)),
      );
      expect(Array.from(table.getChild('big')?.toArray() ?? [])).toEqual([
        9007199254740993n,
        0n,
        -9223372036854775808n,
        0n,
        -9223372036854775808n,
      ]);
      expect(table.getChild('name')?.get(4)).toBe('');
      expect(table.getChild('name')?.get(3)).toBeNull();
    });
  }
});

describe('every file output', () => {
  for (const output of filesOutputs) {
    const config = () => output.configSchema.parse({ format: output.type, path: `out/data.${output.type}` });

    it(`${output.type}: leaves nothing at the final path before commit`, async () => {
      const batch = sampleBatch();
      const sink = output.create(config(), ctx);
      await sink.open(batch.schema, signal());
      await sink.write(batch, signal());
      const [staged] = await sink.finish(signal());
      expect(await readdir(join(dir, 'out'))).toEqual([`.data.${output.type}.run1.partial`]);
      expect(staged?.rows).toBe(3);
      await sink.commit();
      expect(await readdir(join(dir, 'out'))).toEqual([`data.${output.type}`]);
    });

    it(`${output.type}: abort leaves no file in the output directory, even twice`, async () => {
      const batch = sampleBatch();
      const sink = output.create(config(), ctx);
      await sink.open(batch.schema, signal());
      await sink.write(batch, signal());
      await sink.abort();
      await sink.abort();
      expect(await readdir(join(dir, 'out'))).toEqual([]);
    });

    it(`${output.type}: the same batches give byte-identical files`, async () => {
      const batch = sampleBatch();
      const paths = ['x', 'y'].map((n) => `out/${n}.${output.type}`);
      for (const path of paths) {
        await writeAll(
          output.create(output.configSchema.parse({ format: output.type, path }), ctx),
          batch.schema,
          [batch, batch],
        );
      }
      const [a, b] = await Promise.all(paths.map((p) => readFile(join(dir, p))));
      expect(a?.length).toBeGreaterThan(0);
      expect(a?.equals(b as Buffer)).toBe(true);
    });
  }
});
