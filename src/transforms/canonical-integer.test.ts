import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DECIMAL_SCRATCH, writeDecimal, writeDecimalBig } from './canonical-integer.js';

const text = (scratch: Uint8Array, start: number) =>
  new TextDecoder().decode(scratch.subarray(start, DECIMAL_SCRATCH));

describe('canonical integer text', () => {
  it('writes the same decimal text as String() for every safe integer', () => {
    const scratch = new Uint8Array(DECIMAL_SCRATCH);
    const edges = [
      0,
      -0,
      1,
      -1,
      9,
      10,
      99_999_999,
      100_000_000,
      -2147483648,
      2147483647,
      Number.MAX_SAFE_INTEGER,
      -Number.MAX_SAFE_INTEGER,
    ];
    for (const n of edges) expect(text(scratch, writeDecimal(n, scratch))).toBe(String(n));
    fc.assert(
      fc.property(fc.maxSafeInteger(), (n) => {
        expect(text(scratch, writeDecimal(n, scratch))).toBe(String(n));
      }),
      { numRuns: 2000 },
    );
  });

  it('writes 64-bit integers beyond 2^53 like BigInt toString', () => {
    const scratch = new Uint8Array(DECIMAL_SCRATCH);
    for (const n of [-(2n ** 63n), 2n ** 64n - 1n, 2n ** 53n + 1n]) {
      expect(text(scratch, writeDecimalBig(n, scratch))).toBe(String(n));
    }
  });
});
