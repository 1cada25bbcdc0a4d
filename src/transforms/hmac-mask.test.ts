import { createHmac } from 'node:crypto';
import {
  Float64,
  Int8,
  Int16,
  Int32,
  Int64,
  LargeUtf8,
  makeVector,
  Uint32,
  Uint64,
  Utf8,
  type Vector,
  vectorFromArray,
} from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ComponentContext } from '../core/context.js';
import { EventBus } from '../core/events.js';
import type { KeyRing } from '../core/key-ring.js';
import { silentLogger } from '../core/logger.js';
import { createSecretResolver } from '../core/secrets.js';
import { type HmacConfig, hmacConfigSchema, hmacMask } from './hmac-mask.js';

const KEYS: Record<string, Uint8Array> = {
  a: new Uint8Array(32).fill(1),
  b: new Uint8Array(32).fill(2),
};
const keys: KeyRing = {
  async get(id) {
    const key = KEYS[id];
    if (!key) throw new Error(`no key ${id}`);
    return key;
  },
  ids: () => Object.keys(KEYS),
};
const ctx: ComponentContext = {
  runId: 'r',
  events: new EventBus('r'),
  logger: silentLogger,
  baseDir: '.',
  secrets: createSecretResolver('.', {}),
  keys,
  tempDir: '.',
};

const config = (over: Partial<HmacConfig> = {}): HmacConfig =>
  hmacConfigSchema.parse({ mask: 'hmac', key_id: 'a', ...over }) as HmacConfig;

async function mask(vector: Vector, over: Partial<HmacConfig> = {}): Promise<Vector> {
  const kernel = await hmacMask.create(config(over), ctx);
  return kernel(vector, undefined as never);
}

const reference = (key: Uint8Array, text: string) => createHmac('sha256', key).update(text, 'utf8').digest();

function base32(bytes: Uint8Array): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  const bits = [...bytes].map((b) => b.toString(2).padStart(8, '0')).join('');
  let out = '';
  for (let i = 0; i < bits.length; i += 5)
    out += alphabet[Number.parseInt(bits.slice(i, i + 5).padEnd(5, '0'), 2)];
  return out;
}

describe('hmac mask', () => {
  it('gives the same token for the same value and key, and a different one for another key', async () => {
    const v = vectorFromArray(['alice@example.com', 'bob@example.com', 'alice@example.com'], new Utf8());
    const a1 = (await mask(v)).toArray();
    const a2 = (await mask(v)).toArray();
    const b = (await mask(v, { key_id: 'b' })).toArray();
    expect(a1).toEqual(a2);
    expect(a1[0]).toBe(a1[2]);
    expect(a1[0]).not.toBe(a1[1]);
    expect(b[0]).not.toBe(a1[0]);
  });

  it('equals node:crypto HMAC-SHA256 in hex for arbitrary strings', async () => {
    const kernel = await hmacMask.create(config({ length: 64 }), ctx);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.string({ unit: 'grapheme' }), fc.constant(''))),
        async (texts) => {
          const out = kernel(vectorFromArray(texts, new Utf8()), undefined as never).toArray();
          expect(out).toEqual(texts.map((t) => reference(KEYS.a!, t).toString('hex')));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps `length` characters of hex and base32 tokens', async () => {
    const v = vectorFromArray(['x', 'hello'], new Utf8());
    const hex = (await mask(v, { length: 16 })).toArray();
    expect(hex).toEqual(['x', 'hello'].map((t) => reference(KEYS.a!, t).toString('hex').slice(0, 16)));
    const b32 = (await mask(v, { output: 'base32', length: 52 })).toArray();
    expect(b32).toEqual(['x', 'hello'].map((t) => base32(reference(KEYS.a!, t))));
    expect((await mask(v, { output: 'base32', length: 20 })).get(1)).toBe(
      base32(reference(KEYS.a!, 'hello')).slice(0, 20),
    );
  });

  it('writes every hex length from 16 to 64, odd ones included, as the prefix of the full MAC', async () => {
    const texts = ['', 'a', 'user42@example.com', 'x'.repeat(70), null];
    const v = vectorFromArray(texts, new Utf8());
    for (let length = 16; length <= 64; length++) {
      const out = (await mask(v, { length })).toArray();
      expect(out).toEqual(
        texts.map((t) => (t === null ? null : reference(KEYS.a!, t).toString('hex').slice(0, length))),
      );
    }
  });

  it('gives the same token for an integer in any integer type and for its decimal text', async () => {
    const values = [0, 42, -42, 127, -128];
    const expected = (await mask(vectorFromArray(values.map(String), new Utf8()))).toArray();
    for (const type of [new Int8(), new Int16(), new Int32()]) {
      expect((await mask(vectorFromArray(values, type))).toArray()).toEqual(expected);
    }
    expect((await mask(vectorFromArray(values.map(BigInt), new Int64()))).toArray()).toEqual(expected);
    expect((await mask(vectorFromArray(values.map(String), new LargeUtf8()))).toArray()).toEqual(expected);
  });

  it('tokenizes 64-bit integers beyond 2^53 like their decimal text', async () => {
    const big = [9007199254740993n, -9223372036854775808n, 9223372036854775807n, -4294967297n, 4294967296n];
    const signed = (await mask(vectorFromArray(big, new Int64()))).toArray();
    expect(signed).toEqual(big.map((n) => reference(KEYS.a!, n.toString()).toString('hex').slice(0, 32)));
    const unsigned = [18446744073709551615n, 4294967295n, 0n];
    expect((await mask(vectorFromArray(unsigned, new Uint64()))).toArray()).toEqual(
      unsigned.map((n) => reference(KEYS.a!, n.toString()).toString('hex').slice(0, 32)),
    );
    expect((await mask(vectorFromArray([4294967295], new Uint32()))).get(0)).toBe(
      reference(KEYS.a!, '4294967295').toString('hex').slice(0, 32),
    );
  });

  it('int64 output is the first 8 bytes of the MAC with the top bit cleared, and joins across types', async () => {
    const fromInt = await mask(vectorFromArray([42n, null, -7n], new Int64()), { output: 'int64' });
    const fromText = await mask(vectorFromArray(['42', null, '-7'], new Utf8()), { output: 'int64' });
    expect(fromInt.type).toBeInstanceOf(Int64);
    expect([...fromInt]).toEqual([...fromText]);
    const expected = reference(KEYS.a!, '42').readBigInt64BE(0) & 0x7fffffffffffffffn;
    expect(fromInt.get(0)).toBe(expected);
    expect(fromInt.get(1)).toBeNull();
    expect(fromInt.get(2)! >= 0n).toBe(true);
  });

  it('keeps nulls null and outputs Utf8 for string and integer input', async () => {
    const out = await mask(vectorFromArray(['a', null, 'b', null], new Utf8()));
    expect(out.type).toBeInstanceOf(Utf8);
    expect(out.nullCount).toBe(2);
    expect([...out].map((x) => x === null)).toEqual([false, true, false, true]);
    const ints = await mask(vectorFromArray([1, null], new Int32()));
    expect(ints.type).toBeInstanceOf(Utf8);
    expect(ints.get(1)).toBeNull();
  });

  it('masks sliced vectors (non-zero offsets, unaligned validity) like the unsliced values', async () => {
    const texts = Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? null : `v${i}`));
    const whole = (await mask(vectorFromArray(texts, new Utf8()))).toArray();
    const sliced = vectorFromArray(texts, new Utf8()).slice(5, 33);
    expect((await mask(sliced)).toArray()).toEqual(whole.slice(5, 33));
    const ints = Array.from({ length: 40 }, (_, i) => (i % 4 === 1 ? null : BigInt(i)));
    const wholeInts = [...(await mask(vectorFromArray(ints, new Int64()), { output: 'int64' }))];
    const slicedInts = vectorFromArray(ints, new Int64()).slice(3, 37);
    expect([...(await mask(slicedInts, { output: 'int64' }))]).toEqual(wholeInts.slice(3, 37));
  });

  it('masks every chunk of a multi-chunk vector', async () => {
    const one = vectorFromArray(['a', null], new Utf8());
    const two = vectorFromArray(['b', 'a'], new Utf8());
    const chunked = makeVector([one.data[0]!, two.data[0]!]);
    const out = await mask(chunked);
    expect(out.data.length).toBe(2);
    expect(out.toArray()).toEqual([...(await mask(one)).toArray(), ...(await mask(two)).toArray()]);
  });

  it('rejects a float column at validation, naming the type and what the mask accepts', () => {
    expect(() => hmacMask.outputType(new Float64(), config())).toThrow(
      expect.objectContaining({ code: 'SCHEMA_MISMATCH', message: expect.stringMatching(/Float64.*Utf8/) }),
    );
  });

  it('rejects tokens shorter than 16 characters and base32 tokens longer than 52', () => {
    expect(hmacConfigSchema.safeParse({ mask: 'hmac', key_id: 'a', length: 8 }).success).toBe(false);
    expect(
      hmacConfigSchema.safeParse({ mask: 'hmac', key_id: 'a', output: 'base32', length: 60 }).success,
    ).toBe(false);
    expect(hmacConfigSchema.safeParse({ mask: 'hmac', key_id: 'a', extra: 1 }).success).toBe(false);
    expect(hmacMask.keyId?.(config())).toBe('a');
  });
});
