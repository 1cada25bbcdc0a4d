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
  let w0: number;
  let w1: number;
  let w2 = 0;
  let w3 = 0;
  if (digits.length <= 15) {
    const v = Number(digits);
    w0 = v % TWO_32;
    w1 = (v - w0) / TWO_32;
  } else {
    const v = BigInt(digits);
    w0 = Number(v & 0xffffffffn);
    w1 = Number((v >> 32n) & 0xffffffffn);
    w2 = Number((v >> 64n) & 0xffffffffn);
    w3 = Number((v >> 96n) & 0xffffffffn);
  }
  if (negative && (w0 | w1 | w2 | w3) !== 0) {
    // Two's complement over 128 bits: invert, then add one with carry.
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
