import {
  Field,
  Int8,
  Int16,
  Int32,
  Int64,
  Uint16,
  Uint32,
  Uint64,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFpe, fpeColumnTweak } from './fpe.js';
import { fpeConfigSchema, fpeMask } from './fpe-mask.js';
import { maskTestContext, TEST_KEYS } from './mask-test-context.js';

const ctx = maskTestContext();
const keyHex = Buffer.from(TEST_KEYS.a!).toString('hex');
const config = (options: Record<string, unknown> = {}) =>
  fpeConfigSchema.parse({ mask: 'fpe', key_id: 'a', ...options });

const TYPES = [
  { type: new Int32(), name: 'Int32', min: -(2n ** 31n), max: 2n ** 31n - 1n },
  { type: new Int64(), name: 'Int64', min: -(2n ** 63n), max: 2n ** 63n - 1n },
  { type: new Uint32(), name: 'Uint32', min: 0n, max: 2n ** 32n - 1n },
  { type: new Uint64(), name: 'Uint64', min: 0n, max: 2n ** 64n - 1n },
] as const;

const digitCount = (v: bigint) => (v < 0n ? -v : v).toString().length;

describe('fpe mask on integer columns', () => {
  for (const { type, name, min, max } of TYPES) {
    it(`keeps \`${name}\` values in their type, sign and digit count, and decrypts them back`, async () => {
      const kernel = await fpeMask.create(config(), ctx);
      const fpe = createFpe({ key: keyHex, tweak: fpeColumnTweak('id'), integer: name });
      const wide = name.endsWith('64');
      const edges = [
        min,
        max,
        0n,
        1n,
        99_999n,
        100_000n,
        max - 1n,
        min === 0n ? 2n : min + 1n,
        min === 0n ? 3n : -100_000n,
      ];
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.option(fc.bigInt({ min, max }), { freq: 8 }), { maxLength: 30 }),
          async (random) => {
            const values = [...edges, ...random];
            const input = vectorFromArray(
              values.map((v) => (v === null ? null : wide ? v : Number(v))),
              type as never,
            );
            expect(fpeMask.outputType(type, config())).toBe(type);
            const out = kernel(input, new Field('id', type, true));
            expect(out.type.toString()).toBe(type.toString());
            for (const [i, v] of values.entries()) {
              const got = out.get(i) as number | bigint | null;
              if (v === null) {
                expect(got).toBeNull();
                continue;
              }
              const token = BigInt(got!);
              expect(token >= min && token <= max).toBe(true);
              expect(token < 0n).toBe(v < 0n);
              if (v >= 100_000n || v <= -100_000n) expect(digitCount(token)).toBe(digitCount(v));
              else expect(token > -100_000n && token < 100_000n).toBe(true);
              expect(fpe.encrypt(String(v))).toBe(String(token));
              expect(fpe.decrypt(String(token))).toBe(String(v));
            }
          },
        ),
        { numRuns: 15 },
      );
    });
  }

  it('gives distinct integers distinct tokens of the same digit count', async () => {
    const kernel = await fpeMask.create(config(), ctx);
    const out = kernel(
      vectorFromArray(
        Array.from({ length: 2000 }, (_, i) => BigInt(1_000_000 + i * 4999)),
        new Int64(),
      ),
      new Field('id', new Int64(), true),
    );
    const tokens = [...out].map((t) => String(t));
    expect(new Set(tokens).size).toBe(2000);
    for (const t of tokens) expect(t).toMatch(/^[1-9]\d{6,7}$/);
  });

  it('refuses at validation integer types too narrow for six digits, and options that are not decimal', () => {
    for (const type of [new Int8(), new Int16(), new Uint16()]) {
      expect(() => fpeMask.outputType(type, config())).toThrow(
        expect.objectContaining({
          code: 'SCHEMA_MISMATCH',
          message: expect.stringContaining('at least 6 decimal digits'),
        }),
      );
    }
    for (const options of [{ radix: 16 }, { alphabet: '0123456789AB' }, { luhn: true }]) {
      expect(() => fpeMask.outputType(new Int64(), config(options))).toThrow(
        expect.objectContaining({ code: 'SCHEMA_MISMATCH' }),
      );
    }
    expect(fpeMask.outputType(new Utf8(), config({ radix: 16 }))).toBeInstanceOf(Utf8);
  });

  it('rejects a token that is not an integer of the type, without echoing it', () => {
    const fpe = createFpe({ key: keyHex, tweak: fpeColumnTweak('id'), integer: 'Int32' });
    expect(() => fpe.decrypt('12a4567')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    let message = '';
    try {
      fpe.decrypt('99999999999');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('outside the range of `Int32`');
    expect(message).not.toContain('99999999999');
  });
});
