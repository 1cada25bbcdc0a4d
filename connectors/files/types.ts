import {
  type Data,
  type DataType,
  type Decimal,
  type Field,
  type TimestampMicrosecond,
  Type,
} from 'apache-arrow';
import { unsupportedColumn } from './errors.js';

/**
 * Text forms of Arrow values for the text formats. `text` is the CSV form (the caller handles
 * nulls); `json` is a JSON literal (`null` for nulls). Both read the Arrow buffers directly.
 */
export interface CellFormat {
  json(data: Data, index: number): string;
  text(data: Data, index: number): string | null;
}

type Raw = (data: Data, index: number) => string;

interface Kind {
  raw: Raw;
  /** The JSON form is the raw text as a JSON string (otherwise it is a JSON literal as is). */
  quoted: boolean;
}

const decoder = new TextDecoder();

export function cellFormat(field: Field, what: string): CellFormat {
  const { raw, quoted } = kindOf(field.type, what, field.name);
  const json: Raw = (data, i) =>
    data.getValid(i) ? (quoted ? JSON.stringify(raw(data, i)) : raw(data, i)) : 'null';
  return {
    json: field.type.typeId === Type.Float ? floatJson(raw) : json,
    text: (data, i) => (data.getValid(i) ? raw(data, i) : null),
  };
}

function floatJson(raw: Raw): Raw {
  return (data, i) => {
    if (!data.getValid(i)) return 'null';
    const text = raw(data, i);
    // JSON has no NaN or Infinity literal: write them as strings.
    return text === 'NaN' || text === 'Infinity' || text === '-Infinity' ? `"${text}"` : text;
  };
}

function kindOf(type: DataType, what: string, column: string): Kind {
  switch (type.typeId) {
    case Type.Null:
      return { raw: () => '', quoted: false };
    case Type.Bool:
      return {
        raw: (d, i) => {
          const bit = d.offset + i;
          return ((d.values as Uint8Array)[bit >> 3] as number) & (1 << (bit & 7)) ? 'true' : 'false';
        },
        quoted: false,
      };
    case Type.Int:
      return { raw: (d, i) => String((d.values as Int32Array | BigInt64Array)[i]), quoted: false };
    case Type.Float: {
      const precision = (type as unknown as { precision: number }).precision;
      if (precision === 1)
        return { raw: (d, i) => float32Text((d.values as Float32Array)[i] as number), quoted: false };
      if (precision === 2) return { raw: (d, i) => String((d.values as Float64Array)[i]), quoted: false };
      throw unsupportedColumn(what, column, type);
    }
    case Type.Decimal: {
      const { scale, bitWidth } = type as Decimal;
      if (bitWidth !== 128) throw unsupportedColumn(what, column, type);
      return {
        raw: (d, i) => {
          const words = d.values as Uint32Array;
          const w = new BigUint64Array(words.buffer, words.byteOffset + i * 16, 2);
          return decimalText((BigInt.asIntN(64, w[1] as bigint) << 64n) | (w[0] as bigint), scale);
        },
        quoted: true,
      };
    }
    case Type.Utf8:
      return { raw: (d, i) => decoder.decode(varBytes(d, i)), quoted: true };
    case Type.Binary:
      return { raw: (d, i) => Buffer.from(varBytes(d, i)).toString('base64'), quoted: true };
    case Type.Date: {
      const unit = (type as unknown as { unit: number }).unit;
      return {
        raw: (d, i) => {
          const v = (d.values as Int32Array | BigInt64Array)[i];
          return dateText(unit === 0 ? (v as number) : Math.floor(Number(v) / 86_400_000));
        },
        quoted: true,
      };
    }
    case Type.Time: {
      const unit = (type as unknown as { unit: number }).unit;
      return {
        raw: (d, i) => timeText(BigInt((d.values as Int32Array | BigInt64Array)[i] as number | bigint), unit),
        quoted: true,
      };
    }
    case Type.Timestamp: {
      const { unit, timezone } = type as TimestampMicrosecond;
      const zone = timezone ? 'Z' : '';
      return {
        raw: (d, i) => `${timestampText((d.values as BigInt64Array)[i] as bigint, unit)}${zone}`,
        quoted: true,
      };
    }
    case Type.List: {
      const child = kindOf((type.children[0] as Field).type, what, column);
      const childJson = child.quoted
        ? (d: Data, j: number) => (d.getValid(j) ? JSON.stringify(child.raw(d, j)) : 'null')
        : (d: Data, j: number) => (d.getValid(j) ? jsonLiteral(child.raw(d, j)) : 'null');
      return {
        raw: (d, i) => {
          const offsets = d.valueOffsets as Int32Array;
          const items = d.children[0] as Data;
          const parts: string[] = [];
          for (let j = offsets[i] as number; j < (offsets[i + 1] as number); j++)
            parts.push(childJson(items, j));
          return `[${parts.join(',')}]`;
        },
        quoted: false,
      };
    }
    case Type.Struct: {
      const fields = type.children as Field[];
      const kinds = fields.map((f) => kindOf(f.type, what, `${column}.${f.name}`));
      const keys = fields.map((f) => JSON.stringify(f.name));
      return {
        raw: (d, i) => {
          const parts = kinds.map((k, c) => {
            const child = d.children[c] as Data;
            const value = !child.getValid(i)
              ? 'null'
              : k.quoted
                ? JSON.stringify(k.raw(child, i))
                : jsonLiteral(k.raw(child, i));
            return `${keys[c]}:${value}`;
          });
          return `{${parts.join(',')}}`;
        },
        quoted: false,
      };
    }
    default:
      throw unsupportedColumn(what, column, type);
  }
}

function jsonLiteral(text: string): string {
  return text === 'NaN' || text === 'Infinity' || text === '-Infinity' ? `"${text}"` : text;
}

function varBytes(d: Data, i: number): Uint8Array {
  const offsets = d.valueOffsets as Int32Array;
  return (d.values as Uint8Array).subarray(offsets[i] as number, offsets[i + 1] as number);
}

/** The shortest decimal text that reads back as the same 32-bit float. */
export function float32Text(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  for (let p = 1; p < 10; p++) {
    const text = v.toPrecision(p);
    if (Math.fround(Number(text)) === v) return String(Number(text));
  }
  return String(v);
}

export function decimalText(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  let digits = (negative ? -unscaled : unscaled).toString();
  if (scale <= 0) return `${negative ? '-' : ''}${digits}${'0'.repeat(-scale)}`;
  digits = digits.padStart(scale + 1, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

const pad = (n: number | bigint, width: number): string => String(n).padStart(width, '0');

/** `YYYY-MM-DD` (proleptic Gregorian; years outside 0–9999 as ±YYYYYY per ISO 8601). */
export function dateText(days: number): string {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const y = year >= 0 && year <= 9999 ? pad(year, 4) : `${year < 0 ? '-' : '+'}${pad(Math.abs(year), 6)}`;
  return `${y}-${pad(month, 2)}-${pad(day, 2)}`;
}

const PER_SECOND = [1n, 1_000n, 1_000_000n, 1_000_000_000n];
const FRACTION_DIGITS = [0, 3, 6, 9];

/** `HH:MM:SS[.fff|.ffffff|.fffffffff]`, the fraction digits fixed by the unit. */
function clockText(ofDay: bigint, unit: number): string {
  const perSecond = PER_SECOND[unit] as bigint;
  const seconds = ofDay / perSecond;
  const fraction = ofDay % perSecond;
  const hms = `${pad(seconds / 3600n, 2)}:${pad((seconds / 60n) % 60n, 2)}:${pad(seconds % 60n, 2)}`;
  const digits = FRACTION_DIGITS[unit] as number;
  return digits === 0 ? hms : `${hms}.${pad(fraction, digits)}`;
}

export function timeText(value: bigint, unit: number): string {
  return clockText(value, unit);
}

/** ISO-8601 date and time of a timestamp in `unit` since the epoch, without zone suffix. */
export function timestampText(value: bigint, unit: number): string {
  const perDay = 86_400n * (PER_SECOND[unit] as bigint);
  let days = value / perDay;
  let ofDay = value % perDay;
  if (ofDay < 0n) {
    days -= 1n;
    ofDay += perDay;
  }
  return `${dateText(Number(days))}T${clockText(ofDay, unit)}`;
}
