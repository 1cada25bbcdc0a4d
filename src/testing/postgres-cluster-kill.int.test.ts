import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { startPostgresCluster } from './postgres-cluster.js';

describe('startPostgresCluster cleanup', () => {
  it.skipIf(Boolean(process.env.TEST_DATABASE_URL))(
    'stops the cluster and removes its directory when its owning process is killed',
    async () => {
      const owner = spawn('sleep', ['60'], { stdio: 'ignore' });
      const cluster = await startPostgresCluster({ ownerPid: owner.pid as number });
      const port = new URL(cluster.url).port;
      const socketDirs = () =>
        readdirSync('/tmp')
          .filter((d) => d.startsWith('sluice-pg-'))
          .filter((d) => existsSync(`/tmp/${d}/.s.PGSQL.${port}`));
      expect(socketDirs()).toHaveLength(1);
      owner.kill('SIGKILL');
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline && socketDirs().length > 0) await new Promise((r) => setTimeout(r, 250));
      expect(socketDirs()).toEqual([]);
      const client = new pg.Client({ connectionString: cluster.url, connectionTimeoutMillis: 2000 });
      await expect(client.connect()).rejects.toThrow();
      await cluster.stop();
    },
  );
});
