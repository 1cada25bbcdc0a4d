import { type Data, DataType, Utf8 } from 'apache-arrow';
import { z } from 'zod';
import type { MaskDefinition } from '../core/component-definition.js';
import { ByteWriter } from './byte-writer.js';
import { FAKE_LOCALES, type FakeWords, fakeWords } from './fake-locale.js';
import { flatData } from './flat-data.js';
import { macEach } from './hmac-mask.js';
import { HmacSha256 } from './hmac-sha256.js';
import { mapChunks } from './map-chunks.js';
import { unsupportedTypeError } from './unsupported-type-error.js';
import { rebasedValidity } from './validity.js';

export const FAKE_KINDS = [
  'name',
  'first_name',
  'last_name',
  'email',
  'phone',
  'street_address',
  'city',
  'company',
  'iban',
] as const;
export type FakeKind = (typeof FAKE_KINDS)[number];

export const fakeConfigSchema = z
  .strictObject({
    mask: z
      .literal('fake')
      .describe(
        'Replaces every value by a realistic fake chosen by the HMAC of the value: the same input always gets the same fake.',
      ),
    key_id: z
      .string()
      .min(1)
      .describe(
        'Id of the key in the key ring. The same key gives the same fake in every batch, table and run.',
      ),
    kind: z.enum(FAKE_KINDS).describe('What to generate.'),
    locale: z
      .enum(FAKE_LOCALES)
      .default('en')
      .describe('Word lists (faker) and formats: `en`, `de`, `fr`, `es` or `nl`.'),
  })
  .describe(
    'Consistent fake values (names, emails, phones, addresses, companies, IBANs) seeded by a keyed HMAC.',
  );

export type FakeConfig = z.infer<typeof fakeConfigSchema>;

const ACCEPTS = '`Utf8`, `LargeUtf8` and integer types';
const BANKS: Record<string, string[]> = {
  GB: ['NWBK', 'BARC', 'LOYD', 'HBUK', 'MIDL'],
  NL: ['ABNA', 'INGB', 'RABO', 'TRIO', 'SNSB'],
};
const BBAN_DIGITS: Record<string, number> = { GB: 14, NL: 10, DE: 18, FR: 23, ES: 20 };

/** Reads choices and digits from the MAC words: words 0–3 pick list items, words 4–7 give 36 digits. */
class MacDigits {
  #words: Int32Array;
  #word = 4;
  #left = 0;
  #value = 0;

  constructor(words: Int32Array) {
    this.#words = words;
  }

  reset(): void {
    this.#word = 4;
    this.#left = 0;
  }

  pick<T>(items: readonly T[], slot: number): T {
    return items[(this.#words[slot]! >>> 0) % items.length]!;
  }

  digit(): number {
    if (this.#left === 0) {
      // Past the 36 digits of words 4–7, fold the pick words in again (still keyed, still stable).
      this.#value = this.#words[this.#word & 7]! >>> 0;
      this.#word++;
      this.#left = 9;
    }
    const d = this.#value % 10;
    this.#value = (this.#value - d) / 10;
    this.#left--;
    return d;
  }
}

/** Writes a faker-style pattern: `#` a digit, `!` a digit 2–9, anything else as is. */
function pattern(out: ByteWriter, format: string, digits: MacDigits): void {
  for (let i = 0; i < format.length; i++) {
    const c = format.charCodeAt(i);
    if (c === 0x23) out.byte(48 + digits.digit());
    else if (c === 0x21) out.byte(50 + (digits.digit() % 8));
    else if (c < 0x80) out.byte(c);
    else out.write(new TextEncoder().encode(format[i]!));
  }
}

function mod97(text: string): number {
  let r = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c >= 65 ? c - 55 : c - 48;
    r = v >= 10 ? (r * 100 + v) % 97 : (r * 10 + v) % 97;
  }
  return r;
}

function iban(out: ByteWriter, country: string, digits: MacDigits): void {
  const banks = BANKS[country];
  let bban = banks ? digits.pick(banks, 3) : '';
  for (let k = BBAN_DIGITS[country]!; k > 0; k--) bban += String(digits.digit());
  const check = 98 - mod97(`${bban}${country}00`);
  out.ascii(`${country}${check < 10 ? '0' : ''}${check}${bban}`);
}

function street(out: ByteWriter, w: FakeWords, d: MacDigits): void {
  const number = (): void => pattern(out, d.pick(w.building, 2), d);
  switch (w.streetStyle) {
    case 'number-first':
      number();
      out.byte(0x20);
      out.write(d.pick(w.street, 1));
      return;
    case 'number-last':
      out.write(d.pick(w.street, 1));
      out.byte(0x20);
      number();
      return;
    case 'fr':
      number();
      out.byte(0x20);
      out.write(d.pick(w.streetPart, 3));
      out.byte(0x20);
      out.write(d.pick(w.street, 1));
      return;
    case 'es':
      out.write(d.pick(w.streetPart, 3));
      out.byte(0x20);
      out.write(d.pick(w.first, 1));
      out.byte(0x20);
      number();
      return;
    case 'nl':
      out.write(d.pick(w.last, 1));
      out.write(d.pick(w.streetPart, 3));
      out.byte(0x20);
      number();
      return;
  }
}

/** Writes the fake of `kind` chosen by the MAC words in `d`. */
function writeFake(out: ByteWriter, kind: FakeKind, w: FakeWords, d: MacDigits): void {
  d.reset();
  switch (kind) {
    case 'first_name':
      out.write(d.pick(w.first, 0));
      return;
    case 'last_name':
      out.write(d.pick(w.last, 1));
      return;
    case 'name':
      out.write(d.pick(w.first, 0));
      out.byte(0x20);
      out.write(d.pick(w.last, 1));
      return;
    case 'email':
      out.write(d.pick(w.firstAscii, 0));
      out.byte(0x2e);
      out.write(d.pick(w.lastAscii, 1));
      out.ascii(String(d.digit() * 10 + d.digit()));
      out.byte(0x40);
      out.write(d.pick(w.freeEmail, 2));
      return;
    case 'phone':
      pattern(out, d.pick(w.phone, 0), d);
      return;
    case 'street_address':
      street(out, w, d);
      return;
    case 'city':
      out.write(d.pick(w.city, 0));
      return;
    case 'company':
      out.write(d.pick(w.last, 1));
      out.byte(0x20);
      out.write(d.pick(w.legal, 2));
      return;
    case 'iban':
      iban(out, w.ibanCountry, d);
      return;
  }
}

/** Fakes one chunk. Exported for benchmarks and tests. */
export function fakeData(data: Data, mac: HmacSha256, kind: FakeKind, words: FakeWords): Data {
  const { length } = data;
  const nullBitmap = rebasedValidity(data);
  const nullCount = nullBitmap ? data.nullCount : 0;
  const offsets = new Int32Array(length + 1);
  const out = new ByteWriter(length * 16);
  const digits = new MacDigits(mac.out);
  let last = 0;
  macEach(data, mac, (i) => {
    offsets.fill(out.pos, last + 1, i + 1);
    writeFake(out, kind, words, digits);
    offsets[i + 1] = out.pos;
    last = i + 1;
  });
  offsets.fill(out.pos, last + 1, length + 1);
  return flatData(new Utf8(), length, nullCount, nullBitmap, out.finish(), offsets);
}

function acceptsType(type: DataType): boolean {
  return DataType.isUtf8(type) || DataType.isLargeUtf8(type) || DataType.isInt(type);
}

/** `fake`: a realistic fake per value, chosen by the keyed HMAC of the value (consistent everywhere). */
export const fakeMask: MaskDefinition<FakeConfig> = {
  kind: 'mask',
  type: 'fake',
  description:
    'Replace every value by a realistic fake (name, email, phone, address, company, IBAN) chosen by its keyed HMAC: the same value always gets the same fake.',
  configSchema: fakeConfigSchema,
  properties: { reversible: false, deterministic: true, keyed: true },
  outputType(input) {
    if (!acceptsType(input)) throw unsupportedTypeError('fake', input, ACCEPTS);
    return new Utf8();
  },
  keyId(config) {
    return config.key_id;
  },
  async create(config, ctx) {
    const mac = new HmacSha256(await ctx.keys.get(config.key_id));
    const words = await fakeWords(config.locale);
    return (vector) => mapChunks(vector, (data) => fakeData(data, mac, config.kind, words));
  },
};
