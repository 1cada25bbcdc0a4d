// Parsers for PostgreSQL text output under the session settings the source sets:
// DateStyle = ISO, TimeZone = UTC, IntervalStyle = iso_8601, bytea_output = hex.

/** A value that the column's Arrow type cannot hold (infinite date, NaN decimal, nested array). */
export class UnrepresentableValueError extends Error {}

const TWO_32 = 4_294_967_296;
const DAY_MICROS = 86_400_000_000n;

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

const DATE = /^(\d+)-(\d\d)-(\d\d)( BC)?$/;

export function parseDateDays(text: string): number {
  const m = DATE.exec(text);
  if (m === null)
    throw new UnrepresentableValueError(
      text.endsWith('infinity') ? 'an infinite date' : 'a date in an unexpected format',
    );
  const year = Number(m[1]);
  return daysFromCivil(m[4] ? 1 - year : year, Number(m[2]), Number(m[3]));
}

function fractionMicros(frac: string | undefined): number {
  return frac ? Number(frac.padEnd(6, '0')) : 0;
}

const TIME = /^(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?$/;

export function parseTimeMicros(text: string): number {
  const m = TIME.exec(text);
  if (m === null) throw new UnrepresentableValueError('a time in an unexpected format');
  return ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1_000_000 + fractionMicros(m[4]);
}

const TIMESTAMP =
  /^(\d+)-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(?:([+-])(\d\d)(?::(\d\d)(?::(\d\d))?)?)?( BC)?$/;

/** Microseconds since 1970-01-01 UTC; a zone offset (timestamptz) is applied. */
export function parseTimestampMicros(text: string): bigint {
  const m = TIMESTAMP.exec(text);
  if (m === null) {
    throw new UnrepresentableValueError(
      text.endsWith('infinity') ? 'an infinite timestamp' : 'a timestamp in an unexpected format',
    );
  }
  const year = Number(m[1]);
  const days = daysFromCivil(m[12] ? 1 - year : year, Number(m[2]), Number(m[3]));
  let micros = ((Number(m[4]) * 60 + Number(m[5])) * 60 + Number(m[6])) * 1_000_000 + fractionMicros(m[7]);
  if (m[8]) {
    const offset = (Number(m[9]) * 3600 + Number(m[10] ?? 0) * 60 + Number(m[11] ?? 0)) * 1_000_000;
    micros -= m[8] === '-' ? -offset : offset;
  }
  return BigInt(days) * DAY_MICROS + BigInt(micros);
}

const INTERVAL =
  /^P(?:(-?\d+)Y)?(?:(-?\d+)M)?(?:(-?\d+)W)?(?:(-?\d+)D)?(?:T(?:(-?\d+)H)?(?:(-?\d+)M)?(?:(-?)(\d+)(?:\.(\d{1,6}))?S)?)?$/;

/** An `IntervalStyle = iso_8601` interval, e.g. `P1Y2M3DT4H5M6.5S`. */
export function parseIsoInterval(text: string): { months: number; days: number; micros: bigint } {
  const m = INTERVAL.exec(text);
  if (m === null) throw new UnrepresentableValueError('an interval in an unexpected format');
  const n = (s: string | undefined) => (s === undefined ? 0 : Number(s));
  const months = n(m[1]) * 12 + n(m[2]);
  const days = n(m[3]) * 7 + n(m[4]);
  const seconds = BigInt(n(m[8])) * 1_000_000n + BigInt(fractionMicros(m[9]));
  const micros =
    BigInt(n(m[5])) * 3_600_000_000n + BigInt(n(m[6])) * 60_000_000n + (m[7] === '-' ? -seconds : seconds);
  return { months, days, micros };
}

const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i);

/**
 * Writes PostgreSQL's binary numeric (base-10000 digits) as a Decimal128 with `scale`; exact, with
 * plain numbers while the value fits in 53 bits.
 */
export function writeDecimal128FromBinary(
  buf: Buffer,
  offset: number,
  scale: number,
  words: Uint32Array,
  at: number,
): void {
  const ndigits = buf.readInt16BE(offset);
  const weight = buf.readInt16BE(offset + 2);
  const sign = buf.readUInt16BE(offset + 4);
  if (sign !== 0 && sign !== 0x4000) throw new UnrepresentableValueError('a NaN or infinite numeric');
  // The digits read as one integer are the value times 10000^(ndigits - 1 - weight).
  const exponent = 4 * (weight - ndigits + 1) + scale;
  if (ndigits <= 3 && exponent >= -15 && exponent <= 15) {
    let acc = 0;
    for (let k = 0; k < ndigits; k++) acc = acc * 10_000 + buf.readInt16BE(offset + 8 + 2 * k);
    const v = exponent >= 0 ? acc * (POW10[exponent] as number) : acc / (POW10[-exponent] as number);
    if (Number.isSafeInteger(v)) {
      writeWords(sign === 0x4000 && v !== 0, v % TWO_32, Math.floor(v / TWO_32), 0, 0, words, at);
      return;
    }
  }
  let acc = 0n;
  for (let k = 0; k < ndigits; k++) acc = acc * 10_000n + BigInt(buf.readInt16BE(offset + 8 + 2 * k));
  const v = exponent >= 0 ? acc * 10n ** BigInt(exponent) : acc / 10n ** BigInt(-exponent);
  writeBig(sign === 0x4000 ? -v : v, words, at);
}

function writeBig(v: bigint, words: Uint32Array, at: number): void {
  const u = BigInt.asUintN(128, v);
  words[at] = Number(u & 0xffffffffn);
  words[at + 1] = Number((u >> 32n) & 0xffffffffn);
  words[at + 2] = Number((u >> 64n) & 0xffffffffn);
  words[at + 3] = Number((u >> 96n) & 0xffffffffn);
}

/** Writes a decimal text as a Decimal128 with `scale` into four little-endian uint32 words. */
export function writeDecimal128(text: string, scale: number, words: Uint32Array, at: number): void {
  const negative = text.charCodeAt(0) === 45; /* - */
  const body = negative ? text.slice(1) : text;
  if (!/^\d*(\.\d*)?$/.test(body) || body === '' || body === '.') {
    throw new UnrepresentableValueError('a NaN or infinite numeric');
  }
  const dot = body.indexOf('.');
  const whole = dot < 0 ? body : body.slice(0, dot);
  let frac = dot < 0 ? '' : body.slice(dot + 1);
  if (frac.length > scale) {
    if (/[^0]/.test(frac.slice(scale)))
      throw new UnrepresentableValueError('a numeric with more digits than its scale');
    frac = frac.slice(0, scale);
  }
  const digits = whole + frac.padEnd(scale, '0');
  if (digits.length <= 15) {
    const v = Number(digits);
    writeWords(negative && v !== 0, v % TWO_32, Math.floor(v / TWO_32), 0, 0, words, at);
  } else writeBig(negative ? -BigInt(digits) : BigInt(digits), words, at);
}

/** Stores a 128-bit magnitude (four uint32 words), negated in two's complement when `negative`. */
function writeWords(
  negative: boolean,
  w0: number,
  w1: number,
  w2: number,
  w3: number,
  words: Uint32Array,
  at: number,
): void {
  if (negative) {
    // Invert, then add one with carry.
    w0 = (~w0 >>> 0) + 1;
    w1 = ~w1 >>> 0;
    w2 = ~w2 >>> 0;
    w3 = ~w3 >>> 0;
    if (w0 === TWO_32) {
      w0 = 0;
      w1 += 1;
      if (w1 === TWO_32) {
        w1 = 0;
        w2 += 1;
        if (w2 === TWO_32) {
          w2 = 0;
          w3 = (w3 + 1) >>> 0;
        }
      }
    }
  }
  words[at] = w0;
  words[at + 1] = w1;
  words[at + 2] = w2;
  words[at + 3] = w3;
}
