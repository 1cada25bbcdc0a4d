import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { startPostgresCluster } from './postgres-cluster.js';

describe('startPostgresCluster', () => {
  it('starts a server that accepts queries and removes it on stop', async () => {
    const cluster = await startPostgresCluster();
    const client = new pg.Client({ connectionString: cluster.url });
    await client.connect();
    const { rows } = await client.query<{ n: number }>('SELECT 40 + 2 AS n');
    await client.end();
    expect(rows[0]?.n).toBe(42);

    await cluster.stop();
    if (!process.env.TEST_DATABASE_URL) {
      const again = new pg.Client({ connectionString: cluster.url, connectionTimeoutMillis: 2000 });
      await expect(again.connect()).rejects.toThrow();
    }
  });
});
