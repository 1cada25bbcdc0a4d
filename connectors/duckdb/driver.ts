import type * as DuckDBApi from '@duckdb/node-api';
import type {
  DuckDBAppender,
  DuckDBConnection,
  DuckDBResult,
  DuckDBType,
  DuckDBTypeId,
  DuckDBValue,
  DuckDBVector,
} from '@duckdb/node-api';

// Loaded by the first `openDuckDB`: the native library takes a few hundred milliseconds and
// ~50 MB to load, which a run without DuckDB (no `select`, no duckdb connection) should not pay.
let loaded: typeof DuckDBApi | undefined;
function api(): typeof DuckDBApi {
  if (!loaded) throw new Error('@duckdb/node-api is used before openDuckDB loaded it');
  return loaded;
}

/**
 * The narrow slice of `@duckdb/node-api` the connector needs. This is the only file that imports
 * the driver; everything else sees plain JS values and typed arrays.
 */

export type ScalarTypeId =
  | 'BOOLEAN'
  | 'TINYINT'
  | 'SMALLINT'
  | 'INTEGER'
  | 'BIGINT'
  | 'UTINYINT'
  | 'USMALLINT'
  | 'UINTEGER'
  | 'UBIGINT'
  | 'FLOAT'
  | 'DOUBLE'
  | 'VARCHAR'
  | 'BLOB'
  | 'DATE'
  | 'TIME'
  | 'TIMESTAMP'
  | 'TIMESTAMP_S'
  | 'TIMESTAMP_MS'
  | 'TIMESTAMP_NS'
  | 'TIMESTAMP_TZ'
  | 'UUID'
  | 'ENUM'
  | 'NULL';

/** A DuckDB column type as the connector sees it; `sql` is DuckDB's own spelling. */
export type DuckDBColumnType =
  | { id: ScalarTypeId; sql: string }
  | { id: 'DECIMAL'; width: number; scale: number; sql: string }
  | { id: 'LIST'; child: DuckDBColumnType; sql: string }
  | { id: 'UNSUPPORTED'; sql: string };

export interface DuckDBColumnInfo {
  name: string;
  type: DuckDBColumnType;
}

/**
 * A value as plain JS: booleans; numbers for ≤32-bit integers, floats and DATE (days since epoch);
 * bigints for 64-bit integers, TIME/TIMESTAMP* (in the type's unit) and DECIMAL (unscaled);
 * strings for VARCHAR, ENUM and UUID; bytes for BLOB; arrays for LIST.
 */
export type PlainItem = null | boolean | number | bigint | string | Uint8Array | PlainItem[];

export type FixedArray =
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

/** One column of one fetched chunk. Views are valid only until the next chunk is fetched. */
export interface DuckDBColumnData {
  readonly length: number;
  /** Validity bits in Arrow layout (bit i set = row i valid), or null when all rows are valid. */
  validityBits(): Uint8Array | null;
  /** The values of a fixed-width column as a typed array view, or null when not exposed. */
  fixedValues(): FixedArray | null;
  item(index: number): PlainItem;
}

export interface DuckDBChunk {
  readonly rowCount: number;
  column(index: number): DuckDBColumnData;
}

export interface DuckDBStream {
  readonly columns: DuckDBColumnInfo[];
  /** The next chunk, or null at the end of the result. */
  next(): Promise<DuckDBChunk | null>;
}

/** One column of input for an append: fixed-width values or plain items. */
export type AppendColumn =
  | {
      kind: 'fixed';
      values: FixedArray;
      /** Index of the first value in `values`. */
      offset: number;
      /** Arrow validity bitmap, or null when all valid. */
      validity: Uint8Array | null;
      /** Bit of the first value in `validity`. */
      bitOffset: number;
    }
  | { kind: 'items'; items: PlainItem[] };

export interface DuckDBTableAppender {
  readonly columns: DuckDBColumnType[];
  /** Appends `rowCount` rows (at most {@link MAX_CHUNK_ROWS}). */
  append(columns: AppendColumn[], rowCount: number): void;
  /** Flushes and closes the appender. */
  close(): void;
}

export interface DuckDBSession {
  run(sql: string): Promise<void>;
  /** Small metadata queries only: materializes every row as plain JS objects. */
  rows(sql: string): Promise<Record<string, unknown>[]>;
  /** Output columns of `sql`, from the prepared statement; no row is read. */
  columnsOf(sql: string): Promise<DuckDBColumnInfo[]>;
  stream(sql: string): Promise<DuckDBStream>;
  appender(table: string): Promise<DuckDBTableAppender>;
  interrupt(): void;
  close(): void;
}

export interface DuckDBDatabase {
  connect(): Promise<DuckDBSession>;
  close(): void;
}

/** The most rows one DuckDB data chunk holds (its vector size). */
export const MAX_CHUNK_ROWS = 2048;

/** Opens a database; `options` are DuckDB settings such as `access_mode` or `memory_limit`. */
export async function openDuckDB(
  path: string,
  options: Record<string, string> = {},
): Promise<DuckDBDatabase> {
  loaded ??= await import('@duckdb/node-api');
  const instance = await api().DuckDBInstance.create(path, options);
  let closed = false;
  return {
    async connect() {
      return wrapConnection(await instance.connect());
    },
    close() {
      if (closed) return;
      closed = true;
      instance.closeSync();
    },
  };
}

function wrapConnection(connection: DuckDBConnection): DuckDBSession {
  let closed = false;
  return {
    async run(sql) {
      await connection.run(sql);
    },
    async rows(sql) {
      const reader = await connection.runAndReadAll(sql);
      return reader.getRowObjectsJS() as Record<string, unknown>[];
    },
    async columnsOf(sql) {
      const prepared = await connection.prepare(sql);
      try {
        const columns: DuckDBColumnInfo[] = [];
        for (let i = 0; i < prepared.columnCount; i++) {
          columns.push({ name: prepared.columnName(i), type: columnType(prepared.columnType(i)) });
        }
        return columns;
      } finally {
        prepared.destroySync();
      }
    },
    async stream(sql) {
      return wrapResult(await connection.stream(sql));
    },
    async appender(table) {
      return wrapAppender(await connection.createAppender(table));
    },
    interrupt() {
      if (!closed) connection.interrupt();
    },
    close() {
      if (closed) return;
      closed = true;
      connection.closeSync();
    },
  };
}

function wrapResult(result: DuckDBResult): DuckDBStream {
  const columns: DuckDBColumnInfo[] = [];
  for (let i = 0; i < result.columnCount; i++) {
    columns.push({ name: result.columnName(i), type: columnType(result.columnType(i)) });
  }
  let done = false;
  return {
    columns,
    async next() {
      if (done) return null;
      const chunk = await result.fetchChunk();
      if (chunk === null || chunk.rowCount === 0) {
        done = true;
        return null;
      }
      return {
        rowCount: chunk.rowCount,
        column: (index) => {
          const info = columns[index];
          if (!info) throw new RangeError(`No column ${index} in the result.`);
          return wrapVector(chunk.getColumnVector(index), info.type, chunk.rowCount);
        },
      };
    },
  };
}

/** Shape of the vector classes' runtime fields that hold the chunk's memory. */
interface VectorInternals {
  items?: unknown;
  validity?: { data?: BigUint64Array | null };
}

function wrapVector(vector: DuckDBVector, type: DuckDBColumnType, length: number): DuckDBColumnData {
  const internals = vector as unknown as VectorInternals;
  return {
    length,
    validityBits() {
      const words = internals.validity?.data;
      if (words === undefined) return bitsFromItems(vector, length);
      if (words === null) return null;
      // DuckDB's 64-bit validity words are little-endian, LSB first: the same bytes as Arrow's bitmap.
      return new Uint8Array(words.buffer, words.byteOffset, Math.ceil(length / 8));
    },
    fixedValues() {
      const items = internals.items;
      return ArrayBuffer.isView(items) && !(items instanceof DataView) ? (items as FixedArray) : null;
    },
    item(index) {
      return toPlain(vector.getItem(index), type);
    },
  };
}

function bitsFromItems(vector: DuckDBVector, length: number): Uint8Array | null {
  let bits: Uint8Array | null = null;
  for (let i = 0; i < length; i++) {
    if (vector.getItem(i) === null) {
      if (bits === null) bits = new Uint8Array(Math.ceil(length / 8)).fill(0xff);
      bits[i >> 3] = (bits[i >> 3] ?? 0) & ~(1 << (i & 7));
    }
  }
  return bits;
}

function toPlain(value: DuckDBValue | null, type: DuckDBColumnType): PlainItem {
  if (value === null || value === undefined) return null;
  switch (type.id) {
    case 'BOOLEAN':
    case 'TINYINT':
    case 'SMALLINT':
    case 'INTEGER':
    case 'BIGINT':
    case 'UTINYINT':
    case 'USMALLINT':
    case 'UINTEGER':
    case 'UBIGINT':
    case 'FLOAT':
    case 'DOUBLE':
    case 'VARCHAR':
    case 'ENUM':
      return value as boolean | number | bigint | string;
    case 'UUID':
      return String(value);
    case 'BLOB':
      return (value as { bytes: Uint8Array }).bytes;
    case 'DATE':
      return (value as { days: number }).days;
    case 'TIME':
    case 'TIMESTAMP':
    case 'TIMESTAMP_TZ':
      return (value as { micros: bigint }).micros;
    case 'TIMESTAMP_S':
      return (value as { seconds: bigint }).seconds;
    case 'TIMESTAMP_MS':
      return (value as { millis: bigint }).millis;
    case 'TIMESTAMP_NS':
      return (value as { nanos: bigint }).nanos;
    case 'DECIMAL':
      return (value as { value: bigint }).value;
    case 'LIST': {
      const child = type.child;
      return (value as { items: readonly DuckDBValue[] }).items.map((v) => toPlain(v, child));
    }
    case 'NULL':
      return null;
    case 'UNSUPPORTED':
      return String(value);
  }
}

function fromPlain(item: PlainItem, type: DuckDBColumnType): DuckDBValue {
  if (item === null) return null;
  switch (type.id) {
    case 'BLOB':
      return api().blobValue(item as Uint8Array);
    case 'DATE':
      return api().dateValue(item as number);
    case 'TIME':
      return api().timeValue(item as bigint);
    case 'TIMESTAMP':
      return api().timestampValue(item as bigint);
    case 'TIMESTAMP_TZ':
      return api().timestampTZValue(item as bigint);
    case 'TIMESTAMP_S':
      return api().timestampSecondsValue(item as bigint);
    case 'TIMESTAMP_MS':
      return api().timestampMillisValue(item as bigint);
    case 'TIMESTAMP_NS':
      return api().timestampNanosValue(item as bigint);
    case 'DECIMAL':
      return api().decimalValue(item as bigint, type.width, type.scale);
    case 'LIST': {
      const child = type.child;
      return api().listValue((item as PlainItem[]).map((v) => fromPlain(v, child)));
    }
    default:
      return item as DuckDBValue;
  }
}

function wrapAppender(appender: DuckDBAppender): DuckDBTableAppender {
  const duckTypes: DuckDBType[] = [];
  for (let i = 0; i < appender.columnCount; i++) duckTypes.push(appender.columnType(i));
  const columns = duckTypes.map(columnType);
  return {
    columns,
    append(input, rowCount) {
      const chunk = api().DuckDBDataChunk.create(duckTypes, rowCount);
      input.forEach((column, c) => {
        const type = columns[c] as DuckDBColumnType;
        const vector = chunk.getColumnVector(c);
        if (column.kind === 'fixed') {
          const { values, offset, validity: bits, bitOffset } = column;
          const isValid = (i: number): boolean => {
            const bit = bitOffset + i;
            return bits === null || ((bits[bit >> 3] ?? 0) & (1 << (bit & 7))) !== 0;
          };
          const target = (vector as unknown as VectorInternals).items;
          if (ArrayBuffer.isView(target) && target.constructor === values.constructor) {
            (target as FixedArray).set(values.subarray(offset, offset + rowCount) as never);
            if (bits !== null) for (let i = 0; i < rowCount; i++) if (!isValid(i)) vector.setItem(i, null);
          } else {
            for (let i = 0; i < rowCount; i++) {
              vector.setItem(i, isValid(i) ? fromPlain(values[offset + i] as number | bigint, type) : null);
            }
          }
          vector.flush();
          return;
        }
        for (let i = 0; i < rowCount; i++) vector.setItem(i, fromPlain(column.items[i] ?? null, type));
        vector.flush();
      });
      appender.appendDataChunk(chunk);
    },
    close() {
      appender.closeSync();
    },
  };
}

let scalarIds: Partial<Record<DuckDBTypeId, ScalarTypeId>> | undefined;
const SCALAR_IDS = (): Partial<Record<DuckDBTypeId, ScalarTypeId>> =>
  (scalarIds ??= {
    [api().DuckDBTypeId.BOOLEAN]: 'BOOLEAN',
    [api().DuckDBTypeId.TINYINT]: 'TINYINT',
    [api().DuckDBTypeId.SMALLINT]: 'SMALLINT',
    [api().DuckDBTypeId.INTEGER]: 'INTEGER',
    [api().DuckDBTypeId.BIGINT]: 'BIGINT',
    [api().DuckDBTypeId.UTINYINT]: 'UTINYINT',
    [api().DuckDBTypeId.USMALLINT]: 'USMALLINT',
    [api().DuckDBTypeId.UINTEGER]: 'UINTEGER',
    [api().DuckDBTypeId.UBIGINT]: 'UBIGINT',
    [api().DuckDBTypeId.FLOAT]: 'FLOAT',
    [api().DuckDBTypeId.DOUBLE]: 'DOUBLE',
    [api().DuckDBTypeId.VARCHAR]: 'VARCHAR',
    [api().DuckDBTypeId.BLOB]: 'BLOB',
    [api().DuckDBTypeId.DATE]: 'DATE',
    [api().DuckDBTypeId.TIME]: 'TIME',
    [api().DuckDBTypeId.TIMESTAMP]: 'TIMESTAMP',
    [api().DuckDBTypeId.TIMESTAMP_S]: 'TIMESTAMP_S',
    [api().DuckDBTypeId.TIMESTAMP_MS]: 'TIMESTAMP_MS',
    [api().DuckDBTypeId.TIMESTAMP_NS]: 'TIMESTAMP_NS',
    [api().DuckDBTypeId.TIMESTAMP_TZ]: 'TIMESTAMP_TZ',
    [api().DuckDBTypeId.UUID]: 'UUID',
    [api().DuckDBTypeId.ENUM]: 'ENUM',
    [api().DuckDBTypeId.SQLNULL]: 'NULL',
  });

function columnType(type: DuckDBType): DuckDBColumnType {
  const sql = type.toString();
  if (type instanceof api().DuckDBDecimalType)
    return { id: 'DECIMAL', width: type.width, scale: type.scale, sql };
  if (type instanceof api().DuckDBListType) return { id: 'LIST', child: columnType(type.valueType), sql };
  const id = SCALAR_IDS()[type.typeId];
  return id === undefined ? { id: 'UNSUPPORTED', sql } : { id, sql };
}
