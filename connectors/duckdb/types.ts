import {
  Binary,
  Bool,
  type DataType,
  DateDay,
  Decimal,
  Field,
  Float32,
  Float64,
  Int8,
  Int16,
  Int32,
  Int64,
  List,
  Null,
  Schema,
  TimeMicrosecond,
  TimestampMicrosecond,
  TimestampMillisecond,
  TimestampNanosecond,
  TimestampSecond,
  Type,
  Uint8,
  Uint16,
  Uint32,
  Uint64,
  Utf8,
} from 'apache-arrow';
import type { DuckDBColumnInfo, DuckDBColumnType } from './driver.js';
import { unsupportedTypeError } from './errors.js';

/**
 * DuckDB → Arrow type mapping. Every DuckDB result column is nullable in Arrow: a query result
 * does not say which columns can hold NULL.
 */
export function arrowTypeFor(type: DuckDBColumnType, what: string, column: string): DataType {
  switch (type.id) {
    case 'BOOLEAN':
      return new Bool();
    case 'TINYINT':
      return new Int8();
    case 'SMALLINT':
      return new Int16();
    case 'INTEGER':
      return new Int32();
    case 'BIGINT':
      return new Int64();
    case 'UTINYINT':
      return new Uint8();
    case 'USMALLINT':
      return new Uint16();
    case 'UINTEGER':
      return new Uint32();
    case 'UBIGINT':
      return new Uint64();
    case 'FLOAT':
      return new Float32();
    case 'DOUBLE':
      return new Float64();
    case 'DECIMAL':
      return new Decimal(type.scale, type.width, 128);
    case 'VARCHAR':
    case 'UUID':
    case 'ENUM':
      return new Utf8();
    case 'BLOB':
      return new Binary();
    case 'DATE':
      return new DateDay();
    case 'TIME':
      return new TimeMicrosecond();
    case 'TIMESTAMP':
      return new TimestampMicrosecond();
    case 'TIMESTAMP_S':
      return new TimestampSecond();
    case 'TIMESTAMP_MS':
      return new TimestampMillisecond();
    case 'TIMESTAMP_NS':
      return new TimestampNanosecond();
    case 'TIMESTAMP_TZ':
      return new TimestampMicrosecond('UTC');
    case 'LIST':
      return new List(new Field('item', arrowTypeFor(type.child, what, column), true));
    case 'NULL':
      return new Null();
    case 'UNSUPPORTED':
      throw unsupportedTypeError(what, column, type.sql);
  }
}

/** The Arrow schema of a DuckDB result; throws SCHEMA_MISMATCH naming the first unmappable column. */
export function arrowSchemaFor(columns: DuckDBColumnInfo[], what: string): Schema {
  return new Schema(columns.map((c) => new Field(c.name, arrowTypeFor(c.type, what, c.name), true)));
}

/**
 * Arrow → DuckDB SQL type, for creating tables from batches. Returns undefined for Arrow types
 * that have no DuckDB counterpart here.
 */
export function duckdbSqlTypeFor(type: DataType): string | undefined {
  switch (type.typeId) {
    case Type.Null:
      return 'VARCHAR';
    case Type.Bool:
      return 'BOOLEAN';
    case Type.Int: {
      const t = type as Int8;
      const base = { 8: 'TINYINT', 16: 'SMALLINT', 32: 'INTEGER', 64: 'BIGINT' }[
        t.bitWidth as 8 | 16 | 32 | 64
      ];
      return t.isSigned ? base : `U${base}`;
    }
    case Type.Float:
      // Float16 (precision 0) has no DuckDB counterpart.
      return ['', 'FLOAT', 'DOUBLE'][(type as Float64).precision] || undefined;
    case Type.Decimal: {
      const t = type as Decimal;
      return t.bitWidth === 128 && t.precision <= 38 ? `DECIMAL(${t.precision},${t.scale})` : undefined;
    }
    case Type.Utf8:
    case Type.LargeUtf8:
      return 'VARCHAR';
    case Type.Binary:
    case Type.LargeBinary:
      return 'BLOB';
    case Type.Date:
      return 'DATE';
    case Type.Time:
      return 'TIME';
    case Type.Timestamp: {
      const t = type as TimestampMicrosecond;
      if (t.timezone) return 'TIMESTAMPTZ';
      return ['TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP', 'TIMESTAMP_NS'][t.unit];
    }
    case Type.List: {
      const child = (type as List).valueType;
      const inner = duckdbSqlTypeFor(child);
      return inner === undefined ? undefined : `${inner}[]`;
    }
    default:
      return undefined;
  }
}
