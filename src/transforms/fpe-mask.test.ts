import { Field, Utf8, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { fpeColumnTweak, fpeDecrypt } from './fpe.js';
import { fpeConfigSchema, fpeMask } from './fpe-mask.js';
import { maskTestContext, TEST_KEYS } from './mask-test-context.js';

const ctx = maskTestContext();
const field = (name: string) => new Field(name, new Utf8(), true);
const kernel = (options: Record<string, unknown>) =>
  fpeMask.create(fpeConfigSchema.parse({ mask: 'fpe', key_id: 'a', ...options }), ctx);
const keyHex = Buffer.from(TEST_KEYS.a!).toString('hex');

describe('fpe mask', () => {
  it('keeps SSN separators and nulls, and the library API decrypts the column with its default tweak', async () => {
    const input = ['123-45-6789', null, '987-65-4321'];
    const out = [...(await kernel({}))(vectorFromArray(input, new Utf8()), field('ssn'))];
    expect(out[1]).toBeNull();
    for (const [i, v] of out.entries()) {
      if (v === null) continue;
      expect(v).toMatch(/^\d{3}-\d{2}-\d{4}$/);
      expect(v).not.toBe(input[i]);
      expect(fpeDecrypt({ key: keyHex, tweak: fpeColumnTweak('ssn') }, v)).toBe(input[i]);
    }
  });

  it('gives another permutation to another column name, and the same one to the same column', async () => {
    const k = await kernel({});
    const v = vectorFromArray(['4111111111111111'], new Utf8());
    const a = k(v, field('card')).get(0);
    expect(k(v, field('card')).get(0)).toBe(a);
    expect(k(v, field('pan')).get(0)).not.toBe(a);
  });

  it('keeps card numbers Luhn-valid with `luhn: true`', async () => {
    const out = (await kernel({ luhn: true }))(
      vectorFromArray(['4111 1111 1111 1111'], new Utf8()),
      field('card'),
    );
    const digits = String(out.get(0)).replace(/ /g, '');
    let sum = 0;
    [...digits].reverse().forEach((c, i) => {
      const d = Number(c) * (i % 2 === 1 ? 2 : 1);
      sum += d > 9 ? d - 9 : d;
    });
    expect(sum % 10).toBe(0);
    expect(String(out.get(0))).toMatch(/^\d{4} \d{4} \d{4} \d{4}$/);
  });

  it('encrypts alphanumeric codes with a custom alphabet', async () => {
    const out = (await kernel({ alphabet: '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ', tweak: '00112233445566' }))(
      vectorFromArray(['AB12-CD34-EF56'], new Utf8()),
      field('code'),
    );
    expect(String(out.get(0))).toMatch(/^[0-9A-HJ-NP-Z]{4}-[0-9A-HJ-NP-Z]{4}-[0-9A-HJ-NP-Z]{4}$/);
  });

  it('fails on a too-short value naming the column but not the value', async () => {
    const k = await kernel({});
    expect(() => k(vectorFromArray(['12-34'], new Utf8()), field('pin'))).toThrowError(
      /column `pin`.*4 characters/,
    );
    try {
      k(vectorFromArray(['12-34'], new Utf8()), field('pin'));
    } catch (err) {
      expect((err as Error).message).not.toContain('12-34');
    }
  });

  it('refuses a key that is not an AES key size', async () => {
    await expect(
      fpeMask.create(fpeConfigSchema.parse({ mask: 'fpe', key_id: 'short' }), ctx),
    ).rejects.toThrowError(/`short` has 20 bytes/);
  });

  it('rejects `luhn` with another radix, and `radix` with `alphabet`', () => {
    expect(fpeConfigSchema.safeParse({ mask: 'fpe', key_id: 'a', luhn: true, radix: 16 }).success).toBe(
      false,
    );
    expect(fpeConfigSchema.safeParse({ mask: 'fpe', key_id: 'a', radix: 16, alphabet: 'abc' }).success).toBe(
      false,
    );
  });
});
