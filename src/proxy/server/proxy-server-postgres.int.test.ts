import { mkdtemp, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, startTestDatabase } from '../../../connectors/postgres/test/harness.js';
import { createRegistry } from '../../cli/registry.js';
import { createToken } from '../../identity/create-token.js';
import { loadServerConfig } from './load-server-config.js';
import { type ProxyServer, startProxyServer } from './proxy-server.js';

let pg: { url: string; stop(): Promise<void> };
let server: ProxyServer;
let token: string;

beforeAll(async () => {
  pg = await startTestDatabase();
  await admin(
    pg.url,
    `CREATE TABLE events (id bigint, body text);
     INSERT INTO events SELECT g, repeat('x', 200) FROM generate_series(1, 1000000) g;`,
  );
  const dir = await mkdtemp(join(tmpdir(), 'sluice-proxy-pg-'));
  await writeFile(
    join(dir, 'sluice.yaml'),
    [
      'version: 1',
      'connections:',
      '  warehouse: { type: postgres, dsn: { env: PROXY_PG_DSN } }',
      'identity:',
      '  authenticators:',
      '    - { type: token, tokens_file: tokens.jsonl }',
      '',
    ].join('\n'),
  );
  token = (await createToken(join(dir, 'tokens.jsonl'), { subject: 'etl-bot', createdBy: 'test' })).token;
  const setup = await loadServerConfig(join(dir, 'sluice.yaml'), await createRegistry(), {
    PROXY_PG_DSN: pg.url,
  });
  server = await startProxyServer({ setup, host: '127.0.0.1', port: 0 });
}, 120_000);

afterAll(async () => {
  await server?.close(1000);
  await pg?.stop();
});

async function backends(requestId: string): Promise<number> {
  const { rows } = await admin(
    pg.url,
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'sluice:${requestId}'`,
  );
  return (rows[0] as { n: number }).n;
}

describe('the proxy server over PostgreSQL', () => {
  it('cancels the database query within a second when the client disconnects mid-stream', async () => {
    const body = JSON.stringify({
      connection: 'warehouse',
      query: 'SELECT id, body FROM events',
      purpose: 'model-training',
      batch_rows: 1000,
    });
    const { id, destroy } = await new Promise<{ id: string; destroy: () => void }>((resolve, reject) => {
      const req = request(new URL('/v1/extract', server.url), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      });
      req.on('error', () => undefined);
      req.on('response', (res) => {
        if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
        res.once('data', () => {
          res.pause();
          resolve({ id: String(res.headers['sluice-request-id']), destroy: () => req.destroy() });
        });
      });
      req.end(body);
    });
    // A paused client holds the query open (backpressure), it is not buffered away.
    await new Promise((r) => setTimeout(r, 300));
    expect(await backends(id)).toBe(1);
    const gone = Date.now();
    destroy();
    let n = 1;
    while (n > 0 && Date.now() - gone < 1000) {
      await new Promise((r) => setTimeout(r, 50));
      n = await backends(id);
    }
    expect(n).toBe(0);
  }, 60_000);
});
