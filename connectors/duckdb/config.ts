import { z } from 'zod';

/** `connections.<name>` with `type: duckdb`: an embedded DuckDB database file (or in-memory). */
export const duckdbConnectionSchema = z
  .strictObject({
    type: z.literal('duckdb').describe('Connection type: an embedded DuckDB database.'),
    path: z
      .string()
      .default(':memory:')
      .describe(
        'Database file to read. Relative paths resolve against the config file directory; `:memory:` opens an empty in-memory database (useful with `read_parquet()` / `read_csv()` queries). Example: `data/warehouse.duckdb`.',
      ),
    read_only: z
      .boolean()
      .default(true)
      .describe(
        'Open the file read-only (the default). A read-only connection never creates the file: a missing file is an error.',
      ),
    memory_limit: z
      .string()
      .default('128MB')
      .describe(
        "DuckDB memory limit for this connection, with a unit, e.g. `'1GB'`. Streaming reads need little; the limit keeps a run's memory flat however large the table.",
      ),
    threads: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('DuckDB worker threads for this connection; defaults to the number of cores.'),
  })
  .describe('An embedded DuckDB database read through `@duckdb/node-api`.');

export type DuckDBConnectionConfig = z.infer<typeof duckdbConnectionSchema>;
