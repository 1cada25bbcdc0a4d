import { loadTables } from '../../connectors/postgres/index.js';
import { fixtureTables } from '../../fixtures/generator.js';
import { SluiceError } from '../core/errors.js';
import { EventBus } from '../core/events.js';
import { createLogger } from '../core/logger.js';
import { createSecretResolver } from '../core/secrets.js';
import { createKeyRing } from '../transforms/key-ring.js';

export interface LoadFixturesOptions {
  /** Environment variable holding the DSN (preferred), or the DSN itself. */
  dsn: { env: string } | { url: string };
  rows: number;
  seed: number;
  schema: string;
  drop: boolean;
  signal?: AbortSignal;
}

// An env var name no real environment uses: a DSN given as a URL is handed to the connector the
// same way, so it is resolved and redacted by the one code path.
const URL_ENV = 'SLUICE_FIXTURES_LOAD_DSN_ARG';

/**
 * Loads the seeded fixture tables (customers, orders, support_tickets) into a PostgreSQL
 * database with COPY, in one transaction. Returns `host:port/db` (no credentials) and row counts.
 */
export async function loadFixtures(
  options: LoadFixturesOptions,
): Promise<{ target: string; schema: string; tables: { table: string; rows: number }[] }> {
  const env: NodeJS.ProcessEnv = 'url' in options.dsn ? { [URL_ENV]: options.dsn.url } : process.env;
  const ref = 'url' in options.dsn ? { env: URL_ENV } : { env: options.dsn.env };
  if (!/^[a-z_][a-z0-9_]*$/i.test(options.schema)) {
    throw new SluiceError(
      'USAGE',
      `Schema name \`${options.schema}\` is not a plain identifier. Use letters, digits and underscores.`,
    );
  }
  const runId = `fixtures-${process.pid}`;
  const secrets = createSecretResolver(process.cwd(), env);
  const ctx = {
    runId,
    events: new EventBus(runId),
    logger: createLogger(),
    baseDir: process.cwd(),
    secrets,
    keys: createKeyRing({}, secrets),
    tempDir: process.cwd(),
  };
  const tables = fixtureTables({ rows: options.rows, seed: options.seed }).map((t) => ({
    name: t.name,
    schema: t.schema,
    batches: (signal?: AbortSignal) => t.batches(signal),
    primaryKey: 'id',
  }));
  const result = await loadTables(
    tables,
    {
      dsn: ref,
      schema: options.schema,
      drop: options.drop,
      ...(options.signal ? { signal: options.signal } : {}),
    },
    ctx,
  );
  return { ...result, schema: options.schema };
}
