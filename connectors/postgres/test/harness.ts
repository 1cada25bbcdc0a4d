import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import pg from 'pg';
import { inject } from 'vitest';
import {
  type ComponentContext,
  createSecretResolver,
  EventBus,
  type KeyRing,
  type SourceSpec,
  silentLogger,
} from '../../../src/index.js';
import { startPostgresCluster } from '../../../src/testing/postgres-cluster.js';
import { type PostgresConfig, postgresConfigSchema } from '../config.js';
import { PostgresSource } from '../postgres-source.js';

const noKeys: KeyRing = {
  get: () => Promise.reject(new Error('no keys in this test')),
  ids: () => [],
};

/** A component context whose secrets come from `env` only. */
export function testContext(
  env: Record<string, string>,
  runId = `test-${randomUUID().slice(0, 8)}`,
): ComponentContext {
  return {
    runId,
    events: new EventBus(runId),
    logger: silentLogger,
    baseDir: process.cwd(),
    secrets: createSecretResolver(process.cwd(), env),
    keys: noKeys,
    tempDir: tmpdir(),
  };
}

export interface SourceOptions {
  query: string;
  batchRows?: number;
  config?: Partial<Omit<PostgresConfig, 'type' | 'dsn'>>;
  runId?: string;
}

/** A postgres source reading `query` from the cluster at `url`. */
export function sourceFor(url: string, options: SourceOptions): PostgresSource {
  const config = postgresConfigSchema.parse({
    type: 'postgres',
    dsn: { env: 'PG_TEST_DSN' },
    ...options.config,
  });
  const spec: SourceSpec = { name: 'src', query: options.query, batch_rows: options.batchRows ?? 1000 };
  return new PostgresSource(config, spec, testContext({ PG_TEST_DSN: url }, options.runId));
}

/** Runs SQL as the cluster superuser (test setup only). */
export async function admin(url: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Backends still connected with `application_name = sluice:<runId>`, after waiting up to 5 s for them to go. */
export async function backendsOf(url: string, runId: string): Promise<number> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const { rows } = await admin(
      url,
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'sluice:${runId}'`,
    );
    const n = (rows[0] as { n: number }).n;
    if (n === 0 || Date.now() > deadline) return n;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A fresh database for one test file: on the cluster the optional globalSetup provides, else on
 * one started for this file (or `TEST_DATABASE_URL`). Dropped, with its cluster, by `stop`.
 */
export async function startTestDatabase(): Promise<{ url: string; stop(): Promise<void> }> {
  const provided = inject('postgresUrl') as string | undefined;
  const cluster = provided ? { url: provided, stop: async () => {} } : await startPostgresCluster();
  const name = `sluice_test_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  await admin(cluster.url, `CREATE DATABASE ${name}`);
  const url = new URL(cluster.url);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async stop() {
      await admin(cluster.url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
      await cluster.stop();
    },
  };
}
