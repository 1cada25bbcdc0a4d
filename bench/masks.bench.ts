// Masking kernels against the homegrown alternative (per-value node:crypto / string code, then an
// Arrow vector built from the JS array), on the same 1M-value vectors in the same run.
// Run: npx vitest bench --run bench/masks.bench.ts   — values/s = hz × VALUES.
import { createHmac } from 'node:crypto';
import { en, Faker } from '@faker-js/faker';
import { DateDay, Float64, Int64, Utf8, type Vector, vectorFromArray } from 'apache-arrow';
import { bench, describe } from 'vitest';
import { dateShiftData, entityShifts } from '../src/transforms/date-shift-mask.js';
import { fakeWords } from '../src/transforms/fake-locale.js';
import { fakeData } from '../src/transforms/fake-mask.js';
import { fpeEncrypt } from '../src/transforms/fpe.js';
import { createFpeFormat, fpeTweakForColumn } from '../src/transforms/fpe-format.js';
import { fpeData } from '../src/transforms/fpe-mask.js';
import { generalizeConfigSchema, generalizeData } from '../src/transforms/generalize-mask.js';
import { hmacData } from '../src/transforms/hmac-mask.js';
import { HmacSha256 } from '../src/transforms/hmac-sha256.js';
import { nullData } from '../src/transforms/null-mask.js';
import { partialData } from '../src/transforms/partial-mask.js';
import { redactData } from '../src/transforms/redact-mask.js';
import { redactPiiConfigSchema, redactPiiData, redactPiiPlan } from '../src/transforms/redact-pii-mask.js';

const VALUES = 1_000_000;
const KEY = new Uint8Array(32).map((_, i) => i * 7 + 1);
const options = { iterations: 10, time: 0, warmupIterations: 2, warmupTime: 0 };
// The naive baselines take seconds per iteration: one warm-up and two runs are enough for a ratio.
const baseline = { iterations: 2, time: 0, warmupIterations: 1, warmupTime: 0 };

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
    baseline,
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
    baseline,
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
    baseline,
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
    baseline,
  );
});

describe(`partial email, Utf8 ×${VALUES}`, () => {
  const plan = { keepFirst: 0, keepLast: 0, email: true, maskChar: new TextEncoder().encode('*') };
  bench('sluice kernel', () => void partialData(utf8Data, plan), options);
});

// ---- fpe, fake, redact_pii, date_shift, generalize, partial phone (named sizes) ----

const FPE_VALUES = 100_000;
const ssnTexts = Array.from(
  { length: FPE_VALUES },
  (_, i) =>
    `${String(100 + (i % 800)).padStart(3, '0')}-${String(10 + (i % 89))}-${String(1000 + ((i * 7919) % 9000))}`,
);
const ssnData = vectorFromArray(ssnTexts, new Utf8()).data[0]!;
const fpeKeyHex = Buffer.from(KEY.subarray(0, 16)).toString('hex');
const fpeFormat = createFpeFormat(KEY.subarray(0, 16), {});
const fpeTweak = fpeTweakForColumn('ssn');

describe(`fpe FF3-1 AES-128, SSN Utf8 ×${FPE_VALUES}`, () => {
  bench('sluice kernel', () => void fpeData(ssnData, fpeFormat, fpeTweak, false, 'ssn'), options);
  bench(
    'naive: fpeEncrypt per value (new cipher per value)',
    () => {
      const tweak = Buffer.from(fpeTweak).toString('hex');
      const out = ssnTexts.map((v) => fpeEncrypt({ key: fpeKeyHex, tweak }, v));
      vectorFromArray(out, new Utf8());
    },
    baseline,
  );
});

const fpeIntData = vectorFromArray(
  Array.from({ length: FPE_VALUES }, (_, i) => BigInt(i) * 1_000_003n + 100_000n),
  new Int64(),
).data[0]!;

describe(`fpe FF3-1 AES-128, Int64 ×${FPE_VALUES} (6 to 12 digits)`, () => {
  bench('sluice kernel', () => void fpeData(fpeIntData, fpeFormat, fpeTweak, false, 'id'), options);
  bench(
    'naive: fpeEncrypt of the decimal text per value (new cipher per value)',
    () => {
      const tweak = Buffer.from(fpeTweak).toString('hex');
      const out: bigint[] = new Array(FPE_VALUES);
      for (let i = 0; i < FPE_VALUES; i++) {
        out[i] = BigInt(
          fpeEncrypt({ key: fpeKeyHex, tweak, integer: 'Int64' }, String(fpeIntData.values[i])),
        );
      }
      vectorFromArray(out, new Int64());
    },
    baseline,
  );
});

const FAKE_VALUES = 200_000;
const fakeInput = vectorFromArray(texts.slice(0, FAKE_VALUES), new Utf8()).data[0]!;
const fakeEn = await fakeWords('en');

describe(`fake name, Utf8 ×${FAKE_VALUES}`, () => {
  bench(
    'sluice kernel (HMAC bytes index the word lists)',
    () => void fakeData(fakeInput, mac, 'name', fakeEn),
    options,
  );
  bench(
    'naive: faker.seed(HMAC) + faker.person.fullName() per value',
    () => {
      const f = new Faker({ locale: [en] });
      const out: (string | null)[] = new Array(FAKE_VALUES);
      for (let i = 0; i < FAKE_VALUES; i++) {
        const v = texts[i];
        if (v === null || v === undefined) {
          out[i] = null;
          continue;
        }
        f.seed(createHmac('sha256', KEY).update(v).digest().readUInt32BE(0));
        out[i] = f.person.fullName();
      }
      vectorFromArray(out, new Utf8());
    },
    baseline,
  );
});

const PII_TEXTS = 200_000;
// Short ticket-like texts: 1 in 4 has an entity, the rest are plain sentences.
const piiTexts = Array.from({ length: PII_TEXTS }, (_, i) => {
  switch (i % 8) {
    case 0:
      return `Please update my email to user${i}@example.com thanks`;
    case 1:
      return `Card ending 4111 1111 1111 1111 was charged twice`;
    case 2:
      return `The app crashes when I open the settings page (v${i % 9}.2.1)`;
    case 3:
      return `Call me back at +1 415-555-${String(1000 + (i % 9000))} please`;
    default:
      return `Order ${i} arrived late and the box was damaged, can you help?`;
  }
});
const piiData = vectorFromArray(piiTexts, new Utf8()).data[0]!;
const piiPlan = redactPiiPlan(redactPiiConfigSchema.parse({ mask: 'redact_pii' }));
const NAIVE_PATTERNS: [RegExp, string][] = [
  [/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g, '[EMAIL]'],
  [/\b(?:\d[ -]?){12,18}\d\b/g, '[CARD]'],
  [/\b\d{3}-\d{2}-\d{4}\b/g, '[SSN]'],
  [/\+?\d[\d ().-]{7,}\d/g, '[PHONE]'],
  [/\b(?:\d{1,3}\.){3}\d{1,3}\b/g, '[IP]'],
];

describe(`redact_pii labels, short texts Utf8 ×${PII_TEXTS}`, () => {
  bench(
    'sluice kernel (prefilter + validated detectors)',
    () => void redactPiiData(piiData, piiPlan),
    options,
  );
  bench(
    'naive: every regex on every value (no checksums)',
    () => {
      const out = piiTexts.map((t) => NAIVE_PATTERNS.reduce((s, [re, label]) => s.replace(re, label), t));
      vectorFromArray(out, new Utf8());
    },
    baseline,
  );
});

const dayData = vectorFromArray(
  Array.from({ length: VALUES }, (_, i) => new Date(Date.UTC(2000, 0, 1) + (i % 9000) * 86_400_000)),
  new DateDay(),
).data[0]!;
const floats = vectorFromArray(
  Array.from({ length: VALUES }, (_, i) => (i * 37.5) % 100_000),
  new Float64(),
).data[0]!;

describe(`date_shift, DateDay ×${VALUES} by an Int64 entity`, () => {
  bench(
    'sluice kernel',
    () => {
      const { days, valid } = entityShifts(intData, mac, 30);
      dateShiftData(dayData, days, valid);
    },
    options,
  );
});

describe(`generalize, ×${VALUES}`, () => {
  bench(
    'truncate month, DateDay',
    () =>
      void generalizeData(dayData, generalizeConfigSchema.parse({ mask: 'generalize', truncate: 'month' })),
    options,
  );
  bench(
    'bucket_size 1000, Float64',
    () =>
      void generalizeData(floats, generalizeConfigSchema.parse({ mask: 'generalize', bucket_size: 1000 })),
    options,
  );
  bench(
    'keep_chars 3, Utf8',
    () => void generalizeData(utf8Data, generalizeConfigSchema.parse({ mask: 'generalize', keep_chars: 3 })),
    options,
  );
});

describe(`partial format phone, Utf8 ×${FPE_VALUES}`, () => {
  const phones = vectorFromArray(
    Array.from({ length: FPE_VALUES }, (_, i) => `+1 (415) 555-${String(1000 + (i % 9000))}`),
    new Utf8(),
  ).data[0]!;
  const plan = {
    keepFirst: 0,
    keepLast: 4,
    email: false,
    phone: true,
    maskChar: new TextEncoder().encode('*'),
  };
  bench('sluice kernel', () => void partialData(phones, plan), options);
});
