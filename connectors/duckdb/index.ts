import type { ComponentContext, ConnectionDefinition, Source, SourceSpec } from '../../src/index.js';
import { type DuckDBConnectionConfig, duckdbConnectionSchema } from './config.js';
import { DuckDBSource } from './duckdb-source.js';
import { duckdbWatermarkLiteral } from './watermark-literal.js';

/** `connections.<name>` with `type: duckdb`. */
export const duckdbConnection: ConnectionDefinition<DuckDBConnectionConfig> = {
  kind: 'connection',
  type: 'duckdb',
  description: 'An embedded DuckDB database file (or `:memory:` with `read_parquet()`/`read_csv()` queries).',
  configSchema: duckdbConnectionSchema,
  createSource(config: DuckDBConnectionConfig, spec: SourceSpec, ctx: ComponentContext): Source {
    return new DuckDBSource(duckdbConnectionSchema.parse(config), spec, ctx);
  },
  shardPredicate: (column, index, count) =>
    `hash(coalesce(CAST(${column} AS VARCHAR), '')) % ${count} = ${index}`,
  watermarkLiteral: duckdbWatermarkLiteral,
};

export { ArrowTableWriter, createTableSql, loadBatches } from './arrow-to-duckdb.js';
export { type DuckDBConnectionConfig, duckdbConnectionSchema } from './config.js';
export { DuckDBEngine, type DuckDBEngineOptions } from './duckdb-engine.js';
export {
  type DuckDBTableInput,
  type WriteParquetOptions,
  writeDuckDBDatabase,
  writeParquetFile,
} from './duckdb-file-writer.js';
export { DuckDBSource, sourceQuery } from './duckdb-source.js';
export {
  type ParquetOutputConfig,
  ParquetSink,
  type ParquetSinkOptions,
  parquetConfigSchema,
  parquetOutput,
} from './parquet-sink.js';
export { arrowSchemaFor, arrowTypeFor, duckdbSqlTypeFor } from './types.js';
export { duckdbWatermarkLiteral } from './watermark-literal.js';
