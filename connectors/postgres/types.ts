import {
  Binary,
  Bool,
  type DataType,
  DateDay,
  Decimal,
  Dictionary,
  Field,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  IntervalMonthDayNano,
  List,
  TimeMicrosecond,
  TimestampMicrosecond,
  Utf8,
} from 'apache-arrow';
import type { PgField, PgSession } from './driver.js';

/**
 * How a PostgreSQL column is read. Every type not listed as its own kind is read as its text
 * output (`text`), so nothing is silently dropped; see the README's type table.
 */
type SimpleKind =
  | 'int16'
  | 'int32'
  | 'int64'
  | 'float32'
  | 'float64'
  | 'bool'
  | 'utf8'
  | 'bytea'
  | 'date'
  | 'time'
  | 'timestamp'
  | 'timestamptz'
  | 'interval'
  | 'uuid'
  | 'json'
  | 'jsonb'
  | 'numeric'
  | 'text';

export type ColumnType =
  | { kind: SimpleKind; pgType: string }
  | { kind: 'decimal'; pgType: string; precision: number; scale: number }
  | { kind: 'enum'; pgType: string; labels: string[] }
  | { kind: 'list'; pgType: string; element: ColumnType };

export interface ColumnDescription {
  name: string;
  type: ColumnType;
}

/** Largest precision Decimal128 holds; wider `numeric` columns are read as text. */
const MAX_DECIMAL128_PRECISION = 38;

const BUILTIN: Record<string, SimpleKind> = {
  int2: 'int16',
  int4: 'int32',
  int8: 'int64',
  float4: 'float32',
  float8: 'float64',
  bool: 'bool',
  text: 'utf8',
  varchar: 'utf8',
  bpchar: 'utf8',
  name: 'utf8',
  bytea: 'bytea',
  date: 'date',
  time: 'time',
  timestamp: 'timestamp',
  timestamptz: 'timestamptz',
  interval: 'interval',
  uuid: 'uuid',
  json: 'json',
  jsonb: 'jsonb',
};

interface PgTypeRow {
  oid: number;
  name: string;
  schema: string;
  typtype: string;
  base: number;
  baseTypmod: number;
  elem: number;
  isArray: boolean;
  labels: string[] | null;
}

const CATALOG_QUERY = `SELECT t.oid::int4, t.typname, n.nspname, t.typtype, t.typbasetype::int4, t.typtypmod,
  t.typelem::int4, t.typinput = 'array_in'::regproc,
  (SELECT array_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid)
FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
WHERE t.oid = ANY($1::oid[])`;

/** Looks up the result columns' types in `pg_type`, resolving domains, arrays and enums. */
export async function resolveColumnTypes(
  session: PgSession,
  fields: PgField[],
): Promise<ColumnDescription[]> {
  const catalog = new Map<number, PgTypeRow>();
  let wanted = [...new Set(fields.map((f) => f.typeOid))];
  while (wanted.length > 0) {
    const result = await session.query(CATALOG_QUERY, [`{${wanted.join(',')}}`]);
    for (const r of result.rows) {
      const row: PgTypeRow = {
        oid: Number(r[0]),
        name: r[1] ?? '',
        schema: r[2] ?? '',
        typtype: r[3] ?? '',
        base: Number(r[4]),
        baseTypmod: Number(r[5]),
        elem: Number(r[6]),
        isArray: r[7] === 't',
        labels: r[8] === null || r[8] === undefined ? null : parseArrayText(r[8]).map((l) => l ?? ''),
      };
      catalog.set(row.oid, row);
    }
    wanted = [];
    for (const row of catalog.values()) {
      for (const oid of [row.typtype === 'd' ? row.base : 0, row.isArray ? row.elem : 0]) {
        if (oid !== 0 && !catalog.has(oid) && !wanted.includes(oid)) wanted.push(oid);
      }
    }
  }
  return fields.map((f) => ({ name: f.name, type: columnType(catalog, f.typeOid, f.typmod) }));
}

function columnType(catalog: Map<number, PgTypeRow>, oid: number, typmod: number): ColumnType {
  const row = catalog.get(oid);
  if (row === undefined) return { kind: 'text', pgType: `oid ${oid}` };
  if (row.typtype === 'd') return columnType(catalog, row.base, typmod >= 0 ? typmod : row.baseTypmod);
  if (row.isArray) {
    return { kind: 'list', pgType: `${row.name}`, element: columnType(catalog, row.elem, typmod) };
  }
  if (row.typtype === 'e') return { kind: 'enum', pgType: row.name, labels: row.labels ?? [] };
  if (row.schema === 'pg_catalog' && row.name === 'numeric') return numericType(typmod);
  if (row.name === 'citext') return { kind: 'utf8', pgType: row.name };
  const kind = row.schema === 'pg_catalog' ? BUILTIN[row.name] : undefined;
  return { kind: kind ?? 'text', pgType: row.name };
}

function numericType(typmod: number): ColumnType {
  if (typmod < 4) return { kind: 'numeric', pgType: 'numeric' };
  const precision = ((typmod - 4) >> 16) & 0xffff;
  // PostgreSQL 15 packs the scale as an 11-bit signed number.
  const scale = ((((typmod - 4) & 0x7ff) ^ 1024) - 1024) | 0;
  const pgType = `numeric(${precision},${scale})`;
  if (precision > MAX_DECIMAL128_PRECISION || scale < 0 || scale > precision)
    return { kind: 'numeric', pgType };
  return { kind: 'decimal', pgType, precision, scale };
}

/**
 * The Arrow type a column is read into. Dictionary ids come from `ids` in column order, so the same
 * query always yields the same schema (and byte-identical IPC).
 */
export function arrowType(type: ColumnType, ids: { next: number } = { next: 0 }): DataType {
  switch (type.kind) {
    case 'int16':
      return new Int16();
    case 'int32':
      return new Int32();
    case 'int64':
      return new Int64();
    case 'float32':
      return new Float32();
    case 'float64':
      return new Float64();
    case 'bool':
      return new Bool();
    case 'bytea':
      return new Binary();
    case 'date':
      return new DateDay();
    case 'time':
      return new TimeMicrosecond();
    case 'timestamp':
      return new TimestampMicrosecond();
    case 'timestamptz':
      return new TimestampMicrosecond('UTC');
    case 'interval':
      return new IntervalMonthDayNano();
    case 'decimal':
      return new Decimal(type.scale, type.precision, 128);
    case 'enum':
      return new Dictionary(new Utf8(), new Int32(), ids.next++);
    case 'list':
      return new List(new Field('item', arrowType(type.element, ids), true));
    case 'utf8':
    case 'uuid':
    case 'json':
    case 'jsonb':
    case 'numeric':
    case 'text':
      return new Utf8();
  }
}

/**
 * The select-list expression for `column` in the query both read paths run: kinds whose binary
 * form the decoder does not read (unconstrained numeric, and every type read as text) arrive as their text
 * output. `inet`'s cast to text differs from its output (it always adds the mask); `abbrev` does not.
 */
export function selectExpr(type: ColumnType, column: string): string {
  if (type.kind === 'list') {
    if (selectExpr(type.element, 'e') === 'e') return column;
    if (type.element.kind === 'text' && type.element.pgType === 'inet') {
      return `CASE WHEN ${column} IS NULL THEN NULL ELSE ARRAY(SELECT abbrev(e) FROM unnest(${column}) WITH ORDINALITY AS u(e, n) ORDER BY n) END`;
    }
    return `${column}::text[]`;
  }
  if (type.kind === 'text' && type.pgType === 'inet') return `abbrev(${column})`;
  return type.kind === 'numeric' || type.kind === 'text' ? `${column}::text` : column;
}

/** Parses a one-dimensional array literal (`{a,"b c",NULL}`) into its element texts. */
export function parseArrayText(text: string): (string | null)[] {
  let i = 0;
  // Arrays with non-default bounds print as `[0:2]={...}`.
  if (text.charCodeAt(0) === 91 /* [ */) i = text.indexOf('=') + 1;
  if (text.charCodeAt(i) !== 123 /* { */) throw new ArrayShapeError('not an array literal');
  i++;
  const out: (string | null)[] = [];
  if (text.charCodeAt(i) === 125 /* } */) return out;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 123 /* { */) throw new ArrayShapeError('multi-dimensional');
    if (c === 34 /* " */) {
      let value = '';
      i++;
      let start = i;
      for (;;) {
        const d = text.charCodeAt(i);
        if (Number.isNaN(d)) throw new ArrayShapeError('unterminated quote');
        if (d === 92 /* \ */) {
          value += text.slice(start, i);
          i++;
          start = i;
          i++;
        } else if (d === 34) {
          value += text.slice(start, i);
          i++;
          break;
        } else i++;
      }
      out.push(value);
    } else {
      const start = i;
      while (i < text.length && text.charCodeAt(i) !== 44 && text.charCodeAt(i) !== 125) i++;
      const raw = text.slice(start, i);
      out.push(raw.length === 4 && raw.toUpperCase() === 'NULL' ? null : raw);
    }
    const sep = text.charCodeAt(i);
    i++;
    if (sep === 125 /* } */) return out;
    if (sep !== 44 /* , */) throw new ArrayShapeError('malformed array literal');
  }
}

/** An array value the connector cannot turn into an Arrow List (e.g. multi-dimensional). */
export class ArrayShapeError extends Error {}
