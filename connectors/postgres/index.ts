import type { ConnectionDefinition } from '../../src/index.js';
import { type PostgresConfig, postgresConfigSchema } from './config.js';
import { PostgresSource } from './postgres-source.js';
import { postgresWatermarkLiteral } from './watermark-literal.js';

/** The `postgres` connection type: streams a query into Arrow batches. */
export const postgresConnection: ConnectionDefinition<PostgresConfig> = {
  kind: 'connection',
  type: 'postgres',
  description:
    'PostgreSQL: a query read in a READ ONLY, REPEATABLE READ transaction, via binary COPY or a cursor.',
  configSchema: postgresConfigSchema,
  createSource: (config, spec, ctx) => new PostgresSource(config, spec, ctx),
  shardPredicate: (column, index, count) =>
    `((hashtextextended(coalesce(CAST(${column} AS text), ''), 0) % ${count}) + ${count}) % ${count} = ${index}`,
  watermarkLiteral: postgresWatermarkLiteral,
};

export { type PostgresConfig, postgresConfigSchema } from './config.js';
export { encodeCopyText, postgresTypeFor } from './copy-text-encoder.js';
export { redactCredentials, toPostgresError } from './errors.js';
export { type LoadedTable, type LoadTablesOptions, loadTables, type TableToLoad } from './load-tables.js';
export {
  type PostgresOutputConfig,
  postgresOutput,
  postgresOutputConfigSchema,
} from './postgres-output.js';
export { COPY_TEXT_DIGEST, type PostgresSinkOptions, PostgresTableSink } from './postgres-sink.js';
export { castSelect, PostgresSource, sourceQuery } from './postgres-source.js';
export { arrowType, type ColumnDescription, type ColumnType } from './types.js';
export { postgresWatermarkLiteral } from './watermark-literal.js';
