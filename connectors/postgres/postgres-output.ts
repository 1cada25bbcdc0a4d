import { z } from 'zod';
import { type OutputDefinition, SluiceError } from '../../src/index.js';
import { type PostgresConfig, postgresConfigSchema } from './config.js';
import { PostgresTableSink } from './postgres-sink.js';

/** A table name: `table` or `schema.table`, plain identifiers (created and swapped by name). */
const TABLE = /^([A-Za-z_][A-Za-z0-9_$]*\.)?[A-Za-z_][A-Za-z0-9_$]*$/;

/** Config of a `postgres` output (`outputs[]` in a pipeline). The DSN stays in the config file. */
export const postgresOutputConfigSchema = z
  .strictObject({
    format: z.literal('postgres').describe('Output format: a PostgreSQL table.'),
    connection: z
      .string()
      .min(1)
      .describe(
        'Name of a `postgres` connection defined in the config file (its credentials never appear in the pipeline).',
      ),
    table: z
      .string()
      .regex(
        TABLE,
        'Write `table` or `schema.table`: letters, digits, `_` and `$`, not starting with a digit.',
      )
      .refine((t) => (t.split('.').at(-1) ?? '').length <= 40, 'A table name is at most 40 characters.')
      .describe('Target table, e.g. `analytics.training_customers`. Created if absent.'),
    mode: z
      .literal('replace')
      .default('replace')
      .describe(
        '`replace`: the run writes a staging table and swaps it for the target in one transaction when everything succeeded.',
      ),
  })
  .describe('A PostgreSQL table, written through a staging table and swapped in when the run succeeds.');

export type PostgresOutputConfig = z.infer<typeof postgresOutputConfigSchema>;

/** The `postgres` output: a table on a `postgres` connection of the config file. */
export const postgresOutput: OutputDefinition<PostgresOutputConfig> = {
  kind: 'output',
  type: 'postgres',
  description:
    'PostgreSQL table: COPY into a staging table, swapped in for the target in one transaction on success.',
  configSchema: postgresOutputConfigSchema,
  connectionTypes: ['postgres'],
  target: (config) => ({ connection: config.connection, table: config.table, mode: config.mode }),
  create: (config, ctx, connection) => {
    if (connection?.type !== 'postgres') {
      throw new SluiceError(
        'CONFIG_INVALID',
        `The \`postgres\` output writes into a \`postgres\` connection, but \`${config.connection}\` is ${connection ? `of type \`${connection.type}\`` : 'not defined'}.`,
        { context: { connection: config.connection } },
      );
    }
    return new PostgresTableSink(
      postgresConfigSchema.parse(connection) as PostgresConfig,
      { table: config.table, connection: config.connection },
      ctx,
    );
  },
};
