import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Ff3Cipher } from './ff3-1.js';

const KEY = new Uint8Array(16).map((_, i) => i * 31 + 7);
const TWEAK = new Uint8Array([0xcb, 0xd0, 0x92, 0x80, 0x97, 0x95, 0x64]);

describe('Ff3Cipher.cryptMany', () => {
  it('gives the same numerals as encrypting each value alone, for mixed radixes and lengths, and decrypts back', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(2, 10, 26, 36, 64, 1000),
        fc.array(fc.integer({ min: 0, max: 1 << 30 }), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 0, max: 1 << 30 }),
        (radix, seeds, salt) => {
          const cipher = new Ff3Cipher(KEY, radix);
          const { min, max } = cipher.limits;
          // Lengths across the range, including ones too long for the batched double arithmetic.
          const lens = Int32Array.from(seeds, (s) => min + (s % (max - min + 1)));
          const starts = new Int32Array(lens.length);
          let total = 0;
          for (const [j, n] of lens.entries()) {
            starts[j] = total;
            total += n;
          }
          const plain = Uint16Array.from({ length: total }, (_, k) => (k * 7919 + salt) % radix);
          const one = plain.slice();
          for (const [j, n] of lens.entries()) cipher.crypt(one, starts[j]!, n, TWEAK, false);
          const many = plain.slice();
          cipher.cryptMany(many, starts, lens, lens.length, TWEAK, false);
          expect(many).toEqual(one);
          cipher.cryptMany(many, starts, lens, lens.length, TWEAK, true);
          expect(many).toEqual(plain);
        },
      ),
      { numRuns: 150 },
    );
  });
});
