import {
  Field,
  Float64,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Utf8,
  type Vector,
  vectorFromArray,
} from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import type { ComponentContext } from '../core/context.js';
import { EventBus, type SluiceEvent } from '../core/events.js';
import { silentLogger } from '../core/logger.js';
import { createSecretResolver } from '../core/secrets.js';
import { type ColumnMaskPlan, createColumnMasks, validateColumnMasks } from './column-masks.js';
import { hmacMask } from './hmac-mask.js';
import { createKeyRing } from './key-ring.js';
import { nullMask } from './null-mask.js';
import { redactMask } from './redact-mask.js';

const KEY = 'ab'.repeat(32);

function context(): { ctx: ComponentContext; events: SluiceEvent[] } {
  const bus = new EventBus('run-1');
  const events: SluiceEvent[] = [];
  bus.on((e) => events.push(e));
  const secrets = createSecretResolver('.', { CUSTOMER_KEY: KEY });
  const ctx: ComponentContext = {
    runId: 'run-1',
    events: bus,
    logger: silentLogger,
    baseDir: '.',
    secrets,
    keys: createKeyRing({ customer: { env: 'CUSTOMER_KEY' } }, secrets),
    tempDir: '.',
  };
  return { ctx, events };
}

const schema = new Schema([
  new Field('id', new Int64(), false),
  new Field('email', new Utf8(), true),
  new Field('ssn', new Utf8(), false),
  new Field('score', new Float64(), true),
]);

function batch(rows: { id: bigint; email: string | null; ssn: string; score: number | null }[]): RecordBatch {
  const columns: Vector[] = [
    vectorFromArray(
      rows.map((r) => r.id),
      new Int64(),
    ),
    vectorFromArray(
      rows.map((r) => r.email),
      new Utf8(),
    ),
    vectorFromArray(
      rows.map((r) => r.ssn),
      new Utf8(),
    ),
    vectorFromArray(
      rows.map((r) => r.score),
      new Float64(),
    ),
  ];
  const data = makeData({
    type: new Struct(schema.fields),
    length: rows.length,
    nullCount: 0,
    children: columns.map((c) => c.data[0]!),
  });
  return new RecordBatch(schema, data);
}

async function* stream(...batches: RecordBatch[]): AsyncIterable<RecordBatch> {
  yield* batches;
}

async function collect(source: AsyncIterable<RecordBatch>): Promise<RecordBatch[]> {
  const out: RecordBatch[] = [];
  for await (const b of source) out.push(b);
  return out;
}

const plans: ColumnMaskPlan[] = [
  {
    column: 'email',
    definition: hmacMask,
    config: { mask: 'hmac', key_id: 'customer' } as never,
    origin: 'policy',
  },
  { column: 'ssn', definition: redactMask, config: { mask: 'redact' }, origin: 'pipeline' },
  { column: 'score', definition: nullMask, config: { mask: 'null' }, origin: 'pipeline' },
];

const rowsA = [
  { id: 1n, email: 'ann@example.com', ssn: '123-45-6789', score: 1.5 },
  { id: 2n, email: null, ssn: '987-65-4321', score: null },
];
const rowsB = [{ id: 3n, email: 'ann@example.com', ssn: '555-12-3456', score: 3 }];

describe('column masks', () => {
  it('masks the planned columns into new batches and leaves the others and the input untouched', async () => {
    const { ctx } = context();
    const masks = await createColumnMasks('customers', plans, ctx);
    const input = batch(rowsA);
    const [out] = await collect(masks.apply(stream(input), new AbortController().signal));
    expect(out).not.toBe(input);
    expect(out!.getChild('id')!.toArray()).toEqual(new BigInt64Array([1n, 2n]));
    const tokens = [...out!.getChild('email')!];
    expect(tokens[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(tokens[1]).toBeNull();
    expect([...out!.getChild('ssn')!]).toEqual(['[REDACTED]', '[REDACTED]']);
    expect([...out!.getChild('score')!]).toEqual([null, null]);
    expect([...input.getChild('ssn')!]).toEqual(['123-45-6789', '987-65-4321']);
  });

  it('emits one mask_applied per masked column with rows, nulls, key id and params when the stream ends', async () => {
    const { ctx, events } = context();
    const masks = await createColumnMasks('customers', plans, ctx);
    const consumed = masks.apply(stream(batch(rowsA), batch(rowsB)), new AbortController().signal);
    const iterator = consumed[Symbol.asyncIterator]();
    await iterator.next();
    expect(events).toHaveLength(0);
    while (!(await iterator.next()).done);
    const applied = events.filter((e) => e.type === 'mask_applied');
    expect(applied).toHaveLength(3);
    expect(
      applied.map((e) => e.type === 'mask_applied' && [e.column, e.mask, e.rows, e.nulls, e.origin]),
    ).toEqual([
      ['email', 'hmac', 3, 1, 'policy'],
      ['ssn', 'redact', 3, 0, 'pipeline'],
      ['score', 'null', 3, 1, 'pipeline'],
    ]);
    const hmac = applied[0]!;
    expect(hmac).toMatchObject({
      source: 'customers',
      key_id: 'customer',
      params: { output: 'hex', length: 32 },
    });
    expect(JSON.stringify(events)).not.toContain(KEY);
    expect(JSON.stringify(events)).not.toContain('ann@example.com');
  });

  it('masks a sliced batch', async () => {
    const { ctx } = context();
    const masks = await createColumnMasks('customers', plans, ctx);
    const whole = await collect(
      masks.apply(stream(batch([...rowsA, ...rowsB])), new AbortController().signal),
    );
    const sliced = await collect(
      masks.apply(stream(batch([...rowsA, ...rowsB]).slice(1, 3)), new AbortController().signal),
    );
    expect([...sliced[0]!.getChild('email')!]).toEqual([...whole[0]!.getChild('email')!].slice(1, 3));
  });

  it('describes the output schema: new types, and nullable for the null mask', async () => {
    const { ctx } = context();
    const masks = await createColumnMasks(
      'customers',
      [
        ...plans,
        {
          column: 'id',
          definition: hmacMask,
          config: { mask: 'hmac', key_id: 'customer', output: 'int64' } as never,
          origin: 'pipeline',
        },
      ],
      ctx,
    );
    const out = masks.outputSchema(schema);
    expect(out.fields.map((f) => [f.name, String(f.type), f.nullable])).toEqual([
      ['id', 'Int64', false],
      ['email', 'Utf8', true],
      ['ssn', 'Utf8', false],
      ['score', 'Float64', true],
    ]);
  });

  it('rejects a missing column with the columns of the source and a suggestion', async () => {
    const { ctx } = context();
    const masks = await createColumnMasks(
      'customers',
      [{ column: 'e_mail', definition: redactMask, config: { mask: 'redact' }, origin: 'pipeline' }],
      ctx,
    );
    expect(() => masks.outputSchema(schema)).toThrow(
      expect.objectContaining({
        code: 'SCHEMA_MISMATCH',
        message: expect.stringContaining(
          'Column `e_mail` not found in source `customers`. Did you mean `email`? Columns: `id`, `email`, `ssn`, `score`.',
        ),
      }),
    );
    await expect(
      collect(masks.apply(stream(batch(rowsA)), new AbortController().signal)),
    ).rejects.toMatchObject({
      code: 'SCHEMA_MISMATCH',
    });
  });

  it('lists every problem for validate, each naming the column and the source', () => {
    const problems = validateColumnMasks('customers', schema, [
      { column: 'e_mail', definition: redactMask, config: { mask: 'redact' }, origin: 'pipeline' },
      {
        column: 'score',
        definition: hmacMask,
        config: { mask: 'hmac', key_id: 'customer' } as never,
        origin: 'policy',
      },
      { column: 'email', definition: hmacMask, config: { mask: 'hmac' } as never, origin: 'pipeline' },
      { column: 'ssn', definition: redactMask, config: { mask: 'redact' }, origin: 'pipeline' },
    ]);
    expect(problems.map((p) => [p.code, p.column, p.source])).toEqual([
      ['SCHEMA_MISMATCH', 'e_mail', 'customers'],
      ['SCHEMA_MISMATCH', 'score', 'customers'],
      ['CONFIG_INVALID', 'email', 'customers'],
    ]);
    expect(problems[1]!.message).toMatch(/`score`.*`customers`.*Float64/);
  });

  it('fails when a key is missing, before any row is read', async () => {
    const { ctx } = context();
    await expect(
      createColumnMasks(
        'customers',
        [
          {
            column: 'email',
            definition: hmacMask,
            config: { mask: 'hmac', key_id: 'nope' } as never,
            origin: 'policy',
          },
        ],
        ctx,
      ),
    ).rejects.toMatchObject({ code: 'KEY_INVALID' });
  });

  it('stops with CANCELLED when the signal is aborted', async () => {
    const { ctx, events } = context();
    const masks = await createColumnMasks('customers', plans, ctx);
    const controller = new AbortController();
    controller.abort();
    await expect(collect(masks.apply(stream(batch(rowsA)), controller.signal))).rejects.toMatchObject({
      code: 'CANCELLED',
    });
    expect(events).toHaveLength(0);
  });
});
