// Masking kernels against the homegrown alternative (per-value node:crypto / string code, then an
// Arrow vector built from the JS array), on the same 1M-value vectors in the same run.
// Run: npx vitest bench --run bench/masks.bench.ts   — values/s = hz × VALUES.
import { createHmac } from 'node:crypto';
import { Int64, Utf8, type Vector, vectorFromArray } from 'apache-arrow';
import { bench, describe } from 'vitest';
import { hmacData } from '../src/transforms/hmac-mask.js';
import { HmacSha256 } from '../src/transforms/hmac-sha256.js';
import { nullData } from '../src/transforms/null-mask.js';
import { partialData } from '../src/transforms/partial-mask.js';
import { redactData } from '../src/transforms/redact-mask.js';

const VALUES = 1_000_000;
const KEY = new Uint8Array(32).map((_, i) => i * 7 + 1);
const options = { iterations: 3, time: 0, warmupIterations: 1, warmupTime: 0 };

// Short strings like the keys and identifiers masks usually see (~20 bytes), 1 % nulls.
const texts = Array.from({ length: VALUES }, (_, i) =>
  i % 100 === 0 ? null : `user${i * 7919}@example.com`,
);
const utf8 = vectorFromArray(texts, new Utf8()) as Vector<Utf8>;
const ints = vectorFromArray(
  Array.from({ length: VALUES }, (_, i) => (i % 100 === 0 ? null : BigInt(i) * 1_000_003n)),
  new Int64(),
) as Vector<Int64>;
const utf8Data = utf8.data[0]!;
const intData = ints.data[0]!;
const mac = new HmacSha256(KEY);
const hex = { mask: 'hmac', key_id: 'k', output: 'hex', length: 32 } as const;
const int64 = { mask: 'hmac', key_id: 'k', output: 'int64', length: 32 } as const;

describe(`hmac hex, Utf8 ×${VALUES}`, () => {
  bench('sluice kernel', () => void hmacData(utf8Data, mac, hex), options);
  bench(
    'naive: createHmac per value',
    () => {
      const out: (string | null)[] = new Array(VALUES);
      for (let i = 0; i < VALUES; i++) {
        const v = utf8.get(i);
        out[i] = v === null ? null : createHmac('sha256', KEY).update(v).digest('hex').slice(0, 32);
      }
      vectorFromArray(out, new Utf8());
    },
    options,
  );
});

describe(`hmac int64, Int64 ×${VALUES}`, () => {
  bench('sluice kernel', () => void hmacData(intData, mac, int64), options);
  bench(
    'naive: createHmac per value',
    () => {
      const out: (bigint | null)[] = new Array(VALUES);
      for (let i = 0; i < VALUES; i++) {
        const v = ints.get(i);
        out[i] =
          v === null
            ? null
            : createHmac('sha256', KEY).update(String(v)).digest().readBigInt64BE(0) & 0x7fffffffffffffffn;
      }
      vectorFromArray(out, new Int64());
    },
    options,
  );
});

describe(`hmac hex, Int64 ×${VALUES}`, () => {
  bench('sluice kernel', () => void hmacData(intData, mac, hex), options);
});

describe(`redact, Utf8 ×${VALUES}`, () => {
  const constant = new TextEncoder().encode('[REDACTED]');
  bench('sluice kernel', () => void redactData(utf8Data, constant), options);
  bench(
    'naive: map per value',
    () => {
      const out: (string | null)[] = new Array(VALUES);
      for (let i = 0; i < VALUES; i++) out[i] = utf8.get(i) === null ? null : '[REDACTED]';
      vectorFromArray(out, new Utf8());
    },
    options,
  );
});

describe(`null, Utf8 ×${VALUES}`, () => {
  bench('sluice kernel', () => void nullData(utf8Data), options);
});

describe(`partial keep_last 4, Utf8 ×${VALUES}`, () => {
  const plan = { keepFirst: 0, keepLast: 4, email: false, maskChar: new TextEncoder().encode('*') };
  bench('sluice kernel', () => void partialData(utf8Data, plan), options);
  bench(
    'naive: string building per value',
    () => {
      const out: (string | null)[] = new Array(VALUES);
      for (let i = 0; i < VALUES; i++) {
        const v = utf8.get(i);
        if (v === null) {
          out[i] = null;
          continue;
        }
        const chars = Array.from(v);
        out[i] =
          chars.length <= 4
            ? '*'.repeat(chars.length)
            : '*'.repeat(chars.length - 4) + chars.slice(-4).join('');
      }
      vectorFromArray(out, new Utf8());
    },
    options,
  );
});

describe(`partial email, Utf8 ×${VALUES}`, () => {
  const plan = { keepFirst: 0, keepLast: 0, email: true, maskChar: new TextEncoder().encode('*') };
  bench('sluice kernel', () => void partialData(utf8Data, plan), options);
});
