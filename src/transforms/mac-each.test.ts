import { createHmac } from 'node:crypto';
import { type Data, Int32, Int64, makeData, Uint64, Utf8, vectorFromArray } from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HmacSha256 } from './hmac-sha256.js';
import { hmacSimdKernel } from './hmac-simd.js';
import { macEach } from './mac-each.js';
import { stateToBytes } from './sha256.js';

const KEY = new Uint8Array(32).map((_, i) => i * 13 + 5);

/** A Utf8 Data holding arbitrary bytes (the kernel hashes bytes; it never decodes them). */
function bytesData(values: (Uint8Array | null)[]): Data<Utf8> {
  const offsets = new Int32Array(values.length + 1);
  const bitmap = new Uint8Array((values.length + 7) >> 3);
  let size = 0;
  for (const [i, v] of values.entries()) {
    if (v) {
      size += v.length;
      bitmap[i >> 3]! |= 1 << (i & 7);
    }
    offsets[i + 1] = size;
  }
  const bytes = new Uint8Array(size);
  for (const [i, v] of values.entries()) if (v) bytes.set(v, offsets[i]!);
  const nullCount = values.filter((v) => v === null).length;
  return makeData({
    type: new Utf8(),
    length: values.length,
    nullCount,
    nullBitmap: bitmap,
    valueOffsets: offsets,
    data: bytes,
  });
}

function collect(data: Data, simd: boolean): Map<number, string> {
  const mac = new HmacSha256(KEY);
  const seen = new Map<number, string>();
  const order: number[] = [];
  const kernel = simd ? hmacSimdKernel() : null;
  macEach(
    data,
    mac,
    (i) => {
      order.push(i);
      seen.set(i, Buffer.from(stateToBytes(mac.out)).toString('hex'));
    },
    kernel,
  );
  expect(order).toEqual([...order].sort((a, b) => a - b));
  return seen;
}

const expected = (bytes: Uint8Array | string) => createHmac('sha256', KEY).update(bytes).digest('hex');

describe('macEach', () => {
  it('uses the WebAssembly SIMD kernel on this runtime', () => {
    expect(hmacSimdKernel()).not.toBeNull();
  });

  it('gives node:crypto HMAC-SHA256 for arbitrary byte strings of 0 to 200 bytes, nulls skipped, rows in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.uint8Array({ maxLength: 200 }), { freq: 8 }), { maxLength: 40 }),
        (values) => {
          const data = bytesData(values);
          for (const simd of [true, false]) {
            const seen = collect(data, simd);
            expect(seen.size).toBe(values.filter((v) => v !== null).length);
            for (const [i, v] of values.entries()) {
              if (v === null) expect(seen.has(i)).toBe(false);
              else expect(seen.get(i)).toBe(expected(v));
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('handles every length around the one-block limit of the SIMD kernel (55/56/64 bytes)', () => {
    const values = Array.from({ length: 130 }, (_, n) => new Uint8Array(n).fill(0x61 + (n % 26)));
    const seen = collect(bytesData(values), true);
    for (const [n, v] of values.entries()) expect(seen.get(n)).toBe(expected(v));
  });

  it('covers more rows than one SIMD window, and sliced chunks', () => {
    const texts = Array.from({ length: 10_001 }, (_, i) =>
      i % 97 === 0 ? null : `v${i}`.repeat(1 + (i % 9)),
    );
    const data = vectorFromArray(texts, new Utf8()).data[0]!;
    const slice = data.slice(4099, 5000);
    for (const [d, from] of [
      [data, 0],
      [slice, 4099],
    ] as const) {
      const seen = collect(d, true);
      for (let i = 0; i < d.length; i++) {
        const t = texts[from + i];
        expect(seen.get(i)).toBe(t === null || t === undefined ? undefined : expected(t));
      }
    }
  });

  it('gives correct MACs when a callback computes other MACs with macEach meanwhile', () => {
    const outer = vectorFromArray(['a', 'b', 'c'], new Utf8()).data[0]!;
    const inner = vectorFromArray(['x', 'y'], new Utf8()).data[0]!;
    const mac = new HmacSha256(KEY);
    const got: string[] = [];
    macEach(outer, mac, () => {
      const own = Buffer.from(stateToBytes(mac.out)).toString('hex');
      const nested: string[] = [];
      const other = new HmacSha256(KEY);
      macEach(inner, other, () => nested.push(Buffer.from(stateToBytes(other.out)).toString('hex')));
      expect(nested).toEqual([expected('x'), expected('y')]);
      got.push(own);
    });
    expect(got).toEqual(['a', 'b', 'c'].map((t) => expected(t)));
  });

  it('hashes integers as their decimal text, on both paths', () => {
    const big = [0n, -1n, 42n, 9223372036854775807n, -9223372036854775808n, null, 2n ** 53n + 1n];
    const int64 = vectorFromArray(big, new Int64()).data[0]!;
    const uint64 = vectorFromArray([18446744073709551615n, 7n, null], new Uint64()).data[0]!;
    const int32 = vectorFromArray([-2147483648, 0, null, 123456], new Int32()).data[0]!;
    for (const [d, vals] of [
      [int64, big],
      [uint64, [18446744073709551615n, 7n, null]],
      [int32, [-2147483648, 0, null, 123456]],
    ] as const) {
      for (const simd of [true, false]) {
        const seen = collect(d, simd);
        vals.forEach((v, i) => {
          expect(seen.get(i)).toBe(v === null ? undefined : expected(String(v)));
        });
      }
    }
  });
});
