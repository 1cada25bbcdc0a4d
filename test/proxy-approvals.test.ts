import { cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry } from '../src/cli/registry.js';
import { createToken } from '../src/identity/create-token.js';
import { loadServerConfig } from '../src/proxy/server/load-server-config.js';
import { type ProxyServer, startProxyServer } from '../src/proxy/server/proxy-server.js';
import { ROOT, runCli } from './cli.js';

const CUSTOMERS = {
  source: 'customers',
  connection: 'demo',
  table: 'customers',
  columns: ['id', 'email', 'country'],
  purpose: 'model-training',
  masks: { id: { mask: 'hmac', key_id: 'demo', output: 'int64' }, email: { mask: 'hmac', key_id: 'demo' } },
  batch_rows: 500,
};

let dir: string;
let server: ProxyServer;
let botToken: string;

async function project(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'sluice-proxy-approvals-'));
  await mkdir(join(d, 'fixtures/keys'), { recursive: true });
  await mkdir(join(d, 'fixtures/policies'), { recursive: true });
  await cp(join(ROOT, 'fixtures/keys/demo.key'), join(d, 'fixtures/keys/demo.key'));
  const policy = (await readFile(join(ROOT, 'fixtures/policies/demo-policy.yaml'), 'utf8'))
    .replace('subjects: ["*"]', 'subjects: ["etl-bot"]')
    .replace('methods: [local]', 'methods: [token]')
    .replace(
      'description: Training and fine-tuning models on masked data.',
      'description: Training and fine-tuning models on masked data.\n    require_approval: true',
    );
  await writeFile(
    join(d, 'fixtures/policies/demo-policy.yaml'),
    `${policy}\napprovals:\n  approver_groups: [data-stewards]\n  min_approvals: 1\n`,
  );
  await writeFile(
    join(d, 'sluice.yaml'),
    [
      'version: 1',
      'connections:',
      '  demo: { type: fixture, path: .sluice/demo/fixtures.duckdb, rows: 2000, seed: 42 }',
      'policy: fixtures/policies/demo-policy.yaml',
      'keys:',
      '  demo: { file: fixtures/keys/demo.key }',
      'identity:',
      '  authenticators:',
      '    - { type: token, tokens_file: tokens.jsonl }',
      '',
    ].join('\n'),
  );
  return d;
}

function extract(body: unknown): Promise<Response> {
  return fetch(`${server.url}/v1/extract`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${botToken}` },
    body: JSON.stringify(body),
  });
}

beforeAll(async () => {
  dir = await project();
  botToken = (await createToken(join(dir, 'tokens.jsonl'), { subject: 'etl-bot', createdBy: 'test' })).token;
  const alice = await createToken(join(dir, 'tokens.jsonl'), {
    subject: 'alice',
    groups: ['data-stewards'],
    createdBy: 'test',
  });
  await writeFile(join(dir, 'alice.token'), alice.token);
  const setup = await loadServerConfig(join(dir, 'sluice.yaml'), await createRegistry(), {});
  server = await startProxyServer({ setup, host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await server?.close(1000);
});

describe('approvals through the proxy server', () => {
  it('files a request for access that needs one, and serves the rows once an approver granted it', async () => {
    const first = await extract(CUSTOMERS);
    expect(first.status).toBe(428);
    const error = ((await first.json()) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('APPROVAL_REQUIRED');
    const id = /apr_[0-9a-f]{12}/.exec(error.message)?.[0] as string;
    expect(id, error.message).toBeDefined();

    // Asking again before a decision waits on the same request.
    const again = await extract(CUSTOMERS);
    expect(again.status).toBe(428);
    expect(((await again.json()) as { error: { message: string } }).error.message).toContain(id);

    const approved = await runCli(['approve', id, '--token-file', 'alice.token', '--reason', 'OPS-9'], {
      cwd: dir,
    });
    expect(approved.code, approved.stderr).toBe(0);

    const granted = await extract(CUSTOMERS);
    expect(granted.status).toBe(200);
    const rows = tableFromIPC(new Uint8Array(await granted.arrayBuffer()));
    expect(rows.numRows).toBe(2000);

    // A different request (another column) is not covered by that approval.
    const wider = await extract({ ...CUSTOMERS, columns: [...CUSTOMERS.columns, 'created_at'] });
    expect(wider.status).toBe(428);
    expect(((await wider.json()) as { error: { message: string } }).error.message).not.toContain(id);

    const audit = (await readFile(join(dir, '.sluice/audit.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind?: string; action?: string; approval_id?: string });
    const actions = audit.map((r) => r.action ?? r.kind);
    expect(actions).toContain('approval.requested');
    expect(actions).toContain('approval.used');
  });
});
