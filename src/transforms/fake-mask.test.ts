import { Int64, Utf8, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { ibanValid } from '../detect/validators.js';
import { FAKE_KINDS, fakeConfigSchema, fakeMask } from './fake-mask.js';
import { maskTestContext } from './mask-test-context.js';

const ctx = maskTestContext();
const kernel = (options: Record<string, unknown>) =>
  fakeMask.create(fakeConfigSchema.parse({ mask: 'fake', key_id: 'a', ...options }), ctx);
const names = ['Ann Lee', 'Bob Stone', null, 'Ann Lee', 'Chloé Dupont'];

describe('fake mask', () => {
  it('gives the same fake to the same value in every batch and run, and keeps nulls', async () => {
    const run1 = [
      ...(await kernel({ kind: 'name' }))(vectorFromArray(names, new Utf8()), undefined as never),
    ];
    const run2 = [
      ...(await kernel({ kind: 'name' }))(vectorFromArray(names.slice(3), new Utf8()), undefined as never),
    ];
    expect(run1[0]).toBe(run1[3]);
    expect(run1[2]).toBeNull();
    expect(run2).toEqual(run1.slice(3));
    expect(run1[0]).toMatch(/^\S+ \S+/);
  });

  it('gives different fakes with another key', async () => {
    const v = vectorFromArray(
      Array.from({ length: 50 }, (_, i) => `person-${i}`),
      new Utf8(),
    );
    const a = [...(await kernel({ kind: 'email' }))(v, undefined as never)];
    const b = [...(await kernel({ kind: 'email', key_id: 'b' }))(v, undefined as never)];
    expect(a.filter((x, i) => x === b[i]).length).toBeLessThan(3);
  });

  it('produces well-formed values for every kind and locale', async () => {
    const v = vectorFromArray(
      Array.from({ length: 200 }, (_, i) => BigInt(i)),
      new Int64(),
    );
    for (const locale of ['en', 'de', 'fr', 'es', 'nl']) {
      for (const kind of FAKE_KINDS) {
        const out = [...(await kernel({ kind, locale }))(v, undefined as never)].map(String);
        expect(new Set(out).size, `${locale} ${kind}`).toBeGreaterThan(kind === 'city' ? 20 : 50);
        for (const value of out) {
          expect(value.length, `${locale} ${kind}`).toBeGreaterThan(1);
          if (kind === 'email') expect(value).toMatch(/^[a-z0-9]+\.[a-z0-9]+\d+@[a-z0-9.-]+\.[a-z]+$/);
          if (kind === 'iban') expect(ibanValid(value), value).toBe(true);
          if (kind === 'phone') expect(value.replace(/\D/g, '').length).toBeGreaterThanOrEqual(8);
        }
      }
    }
  });

  it('refuses a locale it does not support', () => {
    const parsed = fakeConfigSchema.safeParse({ mask: 'fake', key_id: 'a', kind: 'name', locale: 'xx' });
    expect(parsed.success).toBe(false);
  });
});
