import { type Data, type DataType, type Decimal, makeVector, type RecordBatch, Type } from 'apache-arrow';
import { SluiceError } from '../../src/index.js';

/** The PostgreSQL column type a sink creates for an Arrow type. */
export function postgresTypeFor(type: DataType, column: string): string {
  switch (type.typeId) {
    case Type.Int:
      return (type as unknown as { bitWidth: number }).bitWidth <= 16
        ? 'int2'
        : (type as unknown as { bitWidth: number }).bitWidth <= 32
          ? 'int4'
          : 'int8';
    case Type.Float:
      return (type as unknown as { precision: number }).precision <= 1 ? 'float4' : 'float8';
    case Type.Bool:
      return 'bool';
    case Type.Utf8:
    case Type.LargeUtf8:
    case Type.Dictionary:
      return 'text';
    case Type.Binary:
    case Type.LargeBinary:
      return 'bytea';
    case Type.Date:
      return 'date';
    case Type.Time:
      return 'time';
    case Type.Timestamp:
      return (type as unknown as { timezone: string | null }).timezone ? 'timestamptz' : 'timestamp';
    case Type.Decimal: {
      const d = type as Decimal;
      return `numeric(${d.precision},${d.scale})`;
    }
    case Type.Interval:
      return 'interval';
    case Type.List: {
      const child = type.children[0];
      if (child) return `${postgresTypeFor(child.type, column)}[]`;
      break;
    }
  }
  throw new SluiceError(
    'SCHEMA_MISMATCH',
    `Column \`${column}\` has Arrow type \`${String(type)}\`, which the PostgreSQL sink cannot write. Cast it in the pipeline.`,
    { context: { column, type: String(type) } },
  );
}

type Encode = (i: number) => string | null;

/** One batch as `COPY ... FROM STDIN` text (tab-separated, `\N` for NULL). */
export function encodeCopyText(batch: RecordBatch): string {
  const encoders = batch.schema.fields.map((f, c) => encoderFor(batch.data.children[c] as Data, f.name));
  const lines: string[] = new Array(batch.numRows);
  for (let r = 0; r < batch.numRows; r++) {
    const cells = new Array<string>(encoders.length);
    for (let c = 0; c < encoders.length; c++) {
      const v = (encoders[c] as Encode)(r);
      cells[c] = v === null ? '\\N' : escapeCopy(v);
    }
    lines[r] = cells.join('\t');
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

function escapeCopy(v: string): string {
  return /[\\\n\r\t]/.test(v)
    ? v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')
    : v;
}

/** Element text inside an array literal. */
function quoteElement(v: string | null): string {
  return v === null ? 'NULL' : `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function encoderFor(data: Data, column: string): Encode {
  const valid = (i: number) => data.getValid(i);
  const type = data.type as DataType;
  const vector = makeVector(data);
  const raw = data.values as unknown as ArrayLike<number | bigint>;
  const orNull =
    (f: (i: number) => string): Encode =>
    (i) =>
      valid(i) ? f(i) : null;
  switch (type.typeId) {
    case Type.Int:
    case Type.Float:
    case Type.Utf8:
    case Type.LargeUtf8:
    case Type.Dictionary:
      return orNull((i) => String(vector.get(i)));
    case Type.Bool:
      return orNull((i) => (vector.get(i) ? 't' : 'f'));
    case Type.Binary:
    case Type.LargeBinary:
      return orNull((i) => `\\x${Buffer.from(vector.get(i) as Uint8Array).toString('hex')}`);
    case Type.Date:
      return orNull((i) => new Date(Number(vector.get(i))).toISOString().slice(0, 10));
    case Type.Time:
      return orNull((i) => formatTimeOfDay(toMicros(type, raw[i] as number | bigint)));
    case Type.Timestamp: {
      const tz = (type as unknown as { timezone: string | null }).timezone;
      return orNull((i) => formatTimestamp(toMicros(type, raw[i] as number | bigint), tz ? '+00' : ''));
    }
    case Type.Decimal: {
      const scale = (type as Decimal).scale;
      const words = data.values as unknown as Uint32Array;
      return orNull((i) => formatDecimal(words, i * 4, scale));
    }
    case Type.Interval: {
      const words = data.values as unknown as Int32Array;
      if ((type as unknown as { unit: number }).unit !== 2 /* MONTH_DAY_NANO */) break;
      return orNull((i) => {
        const nanos = new BigInt64Array(words.buffer, words.byteOffset + i * 16 + 8, 1)[0] as bigint;
        return `${words[i * 4]} mons ${words[i * 4 + 1]} days ${nanos / 1000n} microseconds`;
      });
    }
    case Type.List: {
      const offsets = data.valueOffsets as Int32Array;
      const child = encoderFor(data.children[0] as Data, column);
      return orNull((i) => {
        const parts: string[] = [];
        for (let k = offsets[i] as number; k < (offsets[i + 1] as number); k++)
          parts.push(quoteElement(child(k)));
        return `{${parts.join(',')}}`;
      });
    }
  }
  postgresTypeFor(type, column);
  throw new SluiceError(
    'SCHEMA_MISMATCH',
    `Column \`${column}\` has an Arrow type the PostgreSQL sink cannot write.`,
  );
}

function toMicros(type: DataType, v: number | bigint): bigint {
  const unit = (type as unknown as { unit: number }).unit; // 0 s, 1 ms, 2 us, 3 ns
  const n = BigInt(v);
  return unit === 0 ? n * 1_000_000n : unit === 1 ? n * 1000n : unit === 2 ? n : n / 1000n;
}

function formatTimeOfDay(micros: bigint): string {
  const total = Number(micros);
  const s = Math.floor(total / 1_000_000);
  const frac = String(total % 1_000_000).padStart(6, '0');
  const hh = String(Math.floor(s / 3600)).padStart(2, '0');
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return `${hh}:${mm}:${ss}.${frac}`;
}

function formatTimestamp(micros: bigint, zone: string): string {
  let ms = micros / 1000n;
  let rest = micros % 1_000_000n;
  if (rest < 0n) {
    rest += 1_000_000n;
    ms = (micros - rest) / 1000n;
  }
  const iso = new Date(Number(ms)).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${String(rest).padStart(6, '0')}${zone}`;
}

function formatDecimal(words: Uint32Array, at: number, scale: number): string {
  let v = 0n;
  for (let k = 3; k >= 0; k--) v = (v << 32n) | BigInt(words[at + k] as number);
  v = BigInt.asIntN(128, v);
  const negative = v < 0n;
  const digits = (negative ? -v : v).toString().padStart(scale + 1, '0');
  const text = scale > 0 ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return negative ? `-${text}` : text;
}
