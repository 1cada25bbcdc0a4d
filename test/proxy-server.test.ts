import { execFileSync } from 'node:child_process';
import { access, cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { type IncomingMessage, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RecordBatch, RecordBatchReader, Table, tableFromIPC, tableToIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parquetOutput } from '../connectors/duckdb/index.js';
import { createProxySource } from '../connectors/proxy/index.js';
import { createRegistry } from '../src/cli/registry.js';
import type { ComponentContext } from '../src/core/context.js';
import { EventBus } from '../src/core/events.js';
import { silentLogger } from '../src/core/logger.js';
import { createSecretResolver } from '../src/core/secrets.js';
import { createToken } from '../src/identity/create-token.js';
import { type ExtractRequest, extractSource } from '../src/proxy/extract-source.js';
import { loadServerConfig, type ProxyServerConfig } from '../src/proxy/server/load-server-config.js';
import { type ProxyServer, startProxyServer } from '../src/proxy/server/proxy-server.js';
import { ROOT } from './cli.js';

const CUSTOMER_MASKS = {
  id: { mask: 'hmac', key_id: 'demo', output: 'int64' },
  email: { mask: 'hmac', key_id: 'demo' },
  full_name: { mask: 'redact' },
  ssn: { mask: 'partial', keep_last: 4 },
  phone: { mask: 'null' },
};

const CUSTOMERS = {
  source: 'customers',
  connection: 'demo',
  table: 'customers',
  columns: ['id', 'email', 'full_name', 'ssn', 'phone', 'country'],
  purpose: 'model-training',
  masks: CUSTOMER_MASKS,
  batch_rows: 500,
};

const PAIRS = {
  source: 'pairs',
  connection: 'demo',
  query: 'SELECT a.id, b.id AS id2 FROM customers a CROSS JOIN customers b',
  purpose: 'model-training',
  masks: {
    id: { mask: 'hmac', key_id: 'demo', output: 'int64' },
    id2: { mask: 'hmac', key_id: 'demo', output: 'int64' },
  },
  batch_rows: 2000,
};

const PLANNER_HONOURS_APPLIES_MASKS = (
  await readFile(join(ROOT, 'src/engine/plan-pipeline.ts'), 'utf8')
).includes('appliesMasks');

let dir: string;
let token: string;
let setup: ProxyServerConfig;
let server: ProxyServer;

async function project(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'sluice-proxy-'));
  await mkdir(join(d, 'fixtures/keys'), { recursive: true });
  await mkdir(join(d, 'fixtures/policies'), { recursive: true });
  await cp(join(ROOT, 'fixtures/keys/demo.key'), join(d, 'fixtures/keys/demo.key'));
  const policy = await readFile(join(ROOT, 'fixtures/policies/demo-policy.yaml'), 'utf8');
  await writeFile(
    join(d, 'fixtures/policies/demo-policy.yaml'),
    policy
      .replace('subjects: ["*"]', 'subjects: ["etl-bot"]')
      .replace('methods: [local]', 'methods: [token]'),
  );
  await writeFile(
    join(d, 'sluice.yaml'),
    [
      'version: 1',
      'connections:',
      '  demo: { type: fixture, path: .sluice/demo/fixtures.duckdb, rows: 3000, seed: 42 }',
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

function post(path: string, body: unknown, bearer: string | null = token): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(bearer === null ? {} : { authorization: `Bearer ${bearer}` }),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function auditRecords(): Promise<Record<string, unknown>[]> {
  return (await readFile(join(dir, '.sluice/audit.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function context(env: NodeJS.ProcessEnv = {}): ComponentContext {
  return {
    runId: 'test',
    events: new EventBus('test'),
    logger: silentLogger,
    baseDir: dir,
    secrets: createSecretResolver(dir, env),
    keys: setup.keys,
    tempDir: dir,
  };
}

async function collect(batches: AsyncIterable<RecordBatch>): Promise<RecordBatch[]> {
  const out: RecordBatch[] = [];
  for await (const b of batches) out.push(b);
  return out;
}

async function rawColumn(column: string): Promise<Set<string>> {
  const registry = await createRegistry();
  const source = registry
    .get('connection', 'fixture')
    .createSource(
      { type: 'fixture', path: '.sluice/demo/fixtures.duckdb', rows: 3000, seed: 42 },
      { name: 'raw', query: `SELECT ${column} FROM customers`, batch_rows: 10_000 },
      context(),
    );
  try {
    const batches = await collect(source.read(new AbortController().signal));
    return new Set(
      batches.flatMap((b) =>
        [...(b.getChild(column)?.toArray() ?? [])].filter((v) => v !== null).map(String),
      ),
    );
  } finally {
    await source.close();
  }
}

/** Starts an extraction and pauses after the first bytes, like a slow client. */
function pausedStream(
  base: string,
  body: unknown,
): Promise<{ res: IncomingMessage; first: Buffer; destroy: () => void }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL('/v1/extract', base), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    });
    req.on('error', () => undefined);
    req.on('response', (res) => {
      if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
      res.once('data', (first: Buffer) => {
        res.pause();
        resolve({ res, first, destroy: () => req.destroy() });
      });
    });
    req.end(JSON.stringify(body));
  });
}

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not reached in 5 s');
}

async function metric(line: RegExp): Promise<number | undefined> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const found = text.split('\n').find((l) => line.test(l));
  return found === undefined ? undefined : Number(found.split(' ').at(-1));
}

beforeAll(async () => {
  dir = await project();
  token = (await createToken(join(dir, 'tokens.jsonl'), { subject: 'etl-bot', createdBy: 'test' })).token;
  setup = await loadServerConfig(join(dir, 'sluice.yaml'), await createRegistry(), {});
  server = await startProxyServer({
    setup,
    host: '127.0.0.1',
    port: 0,
    maxPerIdentity: 2,
    maxQueueWaitMs: 1500,
  });
});

afterAll(async () => {
  await server?.close(1000);
});

describe('the proxy server', () => {
  it('answers 401 without a token and with a bad one, and never touches the database', async () => {
    const none = await post('/v1/extract', CUSTOMERS, null);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('AUTH_FAILED');
    const bad = await post('/v1/extract', CUSTOMERS, `slc_${'A'.repeat(43)}`);
    expect(bad.status).toBe(401);
    const body = (await bad.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('AUTH_FAILED');
    expect(body.error.message).not.toContain('AAAA');
    // The fixture database is created on first connect: it does not exist yet.
    await expect(access(join(dir, '.sluice/demo/fixtures.duckdb'))).rejects.toThrow();
    const auth = (await auditRecords()).filter((r) => r['kind'] === 'authentication');
    expect(auth.map((r) => r['outcome'])).toEqual(['failure', 'failure']);
  });

  it('denies a request whose masks the policy does not accept, with 403 and the reason', async () => {
    const { email: _email, ...masks } = CUSTOMER_MASKS;
    const res = await post('/v1/extract', { ...CUSTOMERS, masks });
    expect(res.status).toBe(403);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('POLICY_DENIED');
    expect(body.error.message).toContain('Column `email` of source `customers` is classified `pii.email`');
    const decisions = (await auditRecords()).filter((r) => r['kind'] === 'decision');
    expect(decisions.at(-1)).toMatchObject({ verdict: 'deny', connection: 'demo' });
  });

  it('rejects an invalid request with 400 and an unknown connection with 400', async () => {
    const invalid = await post('/v1/extract', { ...CUSTOMERS, query: 'SELECT 1' });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { error: { code: string } }).error.code).toBe('USAGE');
    const unknown = await post('/v1/extract', { ...CUSTOMERS, connection: 'prod' });
    expect(unknown.status).toBe(400);
  });

  it('streams masked record batches in which no raw e-mail, name or SSN appears', async () => {
    const res = await post('/v1/extract', CUSTOMERS);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.apache.arrow.stream');
    const decision = JSON.parse(
      Buffer.from(res.headers.get('sluice-decision') ?? '', 'base64url').toString('utf8'),
    ) as { verdict: string };
    expect(decision.verdict).toBe('allow');
    const table = tableFromIPC(new Uint8Array(await res.arrayBuffer()));
    expect(table.numRows).toBe(3000);
    expect(table.batches.length).toBe(6);
    const emails = await rawColumn('email');
    const names = await rawColumn('full_name');
    const ssns = await rawColumn('ssn');
    const column = (name: string) => [...(table.getChild(name)?.toArray() ?? [])].map(String);
    expect(column('email').filter((v) => emails.has(v))).toEqual([]);
    expect(column('email').every((v) => /^[0-9a-f]{32}$/.test(v))).toBe(true);
    expect(column('full_name').filter((v) => names.has(v))).toEqual([]);
    expect(column('ssn').filter((v) => ssns.has(v))).toEqual([]);
    expect(table.getChild('phone')?.nullCount).toBe(3000);
    const records = await auditRecords();
    const finished = records.filter((r) => r['kind'] === 'extraction_finished').at(-1);
    expect(finished).toMatchObject({ outcome: 'succeeded', rows: 3000, source: 'customers' });
    expect(records.filter((r) => r['kind'] === 'authentication').at(-1)).toMatchObject({
      outcome: 'success',
      subject: 'etl-bot',
    });
  });

  it('returns the decision and the masked schema on /v1/plan without streaming rows', async () => {
    const res = await post('/v1/plan', CUSTOMERS);
    expect(res.status).toBe(200);
    const plan = (await res.json()) as {
      decision: { verdict: string; mandatory_masks: string[] };
      schema: { fields: { name: string; type: string }[]; arrow_ipc_base64: string };
    };
    expect(plan.decision.verdict).toBe('allow');
    expect(plan.decision.mandatory_masks).toContain('email');
    expect(plan.schema.fields.find((f) => f.name === 'id')?.type).toBe('Int64');
    const reader = RecordBatchReader.from(Buffer.from(plan.schema.arrow_ipc_base64, 'base64'));
    reader.open();
    expect(reader.schema.fields.map((f) => f.name)).toEqual(CUSTOMERS.columns);
  });

  it('answers /healthz and exposes Prometheus metrics', async () => {
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const res = await fetch(`${server.url}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const text = await res.text();
    expect(text).toContain('# TYPE sluice_proxy_requests_total counter');
    expect(text).toMatch(/^sluice_proxy_requests_total\{route="\/v1\/extract",status="401"\} 2$/m);
    expect(text).toMatch(/^sluice_proxy_decisions_total\{verdict="deny"\} 1$/m);
    expect(text).toMatch(/^sluice_proxy_rows_total 3000$/m);
    expect(text).toMatch(
      /^sluice_proxy_request_duration_seconds_bucket\{route="\/v1\/plan",le="\+Inf"\} 1$/m,
    );
    for (const line of text.trim().split('\n')) {
      expect(line).toMatch(/^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? -?[0-9.e+-]+)$/);
    }
  });

  it('refuses a body larger than 64 KiB with 413', async () => {
    const res = await post('/v1/plan', {
      ...CUSTOMERS,
      query: `SELECT 1 -- ${'x'.repeat(70_000)}`,
      table: undefined,
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('USAGE');
  });

  it('stops the extraction when the client disconnects mid-stream, and queues streams beyond the identity limit', async () => {
    const big = PAIRS;
    const text = JSON.stringify(big);
    const url = new URL('/v1/extract', server.url);
    const first = await pausedStream(server.url, big);
    // Two streams per identity: the third concurrent request waits, then gets 429 and Retry-After.
    const second = new AbortController();
    const secondStarted = fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: text,
      signal: second.signal,
    });
    await expect(secondStarted.then((r) => r.status)).resolves.toBe(200);
    const waitedFrom = Date.now();
    const third = await post('/v1/extract', big);
    expect(third.status).toBe(429);
    expect(Date.now() - waitedFrom).toBeGreaterThanOrEqual(1400);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await metric(/^sluice_proxy_queue_refused_total\{reason="wait_timeout"\}/)).toBe(1);

    // A queued request whose client goes away leaves the queue.
    const leaving = new AbortController();
    const left = fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: text,
      signal: leaving.signal,
    }).catch(() => 'aborted');
    await until(async () => (await metric(/^sluice_proxy_queue_depth /)) === 1);
    leaving.abort();
    await expect(left).resolves.toBe('aborted');
    await until(async () => (await metric(/^sluice_proxy_queue_depth /)) === 0);

    // A queued request is admitted as soon as one of the identity's streams ends.
    const queued = fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(CUSTOMERS),
    });
    await until(async () => (await metric(/^sluice_proxy_queue_depth /)) === 1);
    second.abort();
    const admitted = await queued;
    expect(admitted.status).toBe(200);
    await admitted.arrayBuffer();
    expect(await metric(/^sluice_proxy_queue_wait_seconds_count /)).toBeGreaterThanOrEqual(3);
    first.destroy();
    let cancelled: number | undefined;
    for (let i = 0; i < 100 && cancelled !== 2; i++) {
      await new Promise((r) => setTimeout(r, 50));
      cancelled = await metric(/^sluice_proxy_extractions_total\{outcome="cancelled"\}/);
    }
    expect(cancelled).toBe(2);
    const finished = (await auditRecords()).filter(
      (r) => r['kind'] === 'extraction_finished' && r['source'] === 'pairs',
    );
    // The request that left the queue never started an extraction.
    expect(finished.map((r) => r['outcome'])).toEqual(['cancelled', 'cancelled']);
    for (const r of finished) expect(r['rows'] as number).toBeLessThan(9_000_000);
    expect(await metric(/^sluice_proxy_extractions_in_flight /)).toBe(0);
  });

  it('gives the same masked batches and byte-identical Parquet through the server as in-process', async () => {
    const signal = new AbortController().signal;
    const request: ExtractRequest = { ...CUSTOMERS, query: undefined };
    const local = await extractSource(
      setup,
      { subject: 'etl-bot', issuer: 'sluice-token', method: 'token', groups: [], verified: true },
      request,
      { events: new EventBus('local'), runId: 'local', tempDir: dir, signal },
    );
    const inProcess = await collect(local.batches);
    await local.close();

    const remote = createProxySource(
      {
        type: 'proxy',
        url: server.url,
        remote_connection: 'demo',
        retries: 0,
        token_env: 'PROXY_TOKEN',
        timeout_ms: 10_000,
      },
      {
        name: 'customers',
        table: 'customers',
        columns: CUSTOMERS.columns,
        batch_rows: CUSTOMERS.batch_rows,
        purpose: 'model-training',
        masks: CUSTOMER_MASKS,
      },
      context({ PROXY_TOKEN: token }),
    );
    const schema = await remote.describe(signal);
    expect(schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(
      local.schema.fields.map((f) => `${f.name}:${f.type}`),
    );
    const throughServer = await collect(remote.read(signal));
    await remote.close();
    expect(Buffer.from(tableToIPC(new Table(throughServer), 'stream'))).toEqual(
      Buffer.from(tableToIPC(new Table(inProcess), 'stream')),
    );

    const parquet = async (name: string, s: typeof schema, batches: RecordBatch[]) => {
      const config = parquetOutput.configSchema.parse({ format: 'parquet', path: `out/${name}.parquet` });
      const sink = parquetOutput.create(config as never, context());
      await sink.open(s, signal);
      for (const b of batches) await sink.write(b, signal);
      await sink.finish(signal);
      await sink.commit();
      return readFile(join(dir, `out/${name}.parquet`));
    };
    const a = await parquet('in-process', local.schema, inProcess);
    const b = await parquet('through-proxy', schema, throughServer);
    expect(a.length).toBeGreaterThan(0);
    expect(b.equals(a)).toBe(true);
  });

  it('reports every mask the server applied to a wide extraction as run events on the client', async () => {
    const signal = new AbortController().signal;
    const width = 400;
    const columns = Array.from({ length: width }, (_, i) => `c${i}`);
    const masks = Object.fromEntries(
      columns.map((c) => [c, { mask: 'hmac', key_id: 'demo', output: 'int64' }]),
    );
    const ctx = context({ PROXY_TOKEN: token });
    const events: { type: string; column?: string; rows?: number; source?: string }[] = [];
    ctx.events.on((e) => events.push(e as never));
    const remote = createProxySource(
      {
        type: 'proxy',
        url: server.url,
        remote_connection: 'demo',
        retries: 0,
        token_env: 'PROXY_TOKEN',
        timeout_ms: 10_000,
      },
      {
        name: 'wide',
        query: `SELECT ${columns.map((c) => `id AS ${c}`).join(', ')} FROM customers LIMIT 10`,
        batch_rows: 100,
        purpose: 'model-training',
        masks,
      },
      ctx,
    );
    const batches = await collect(remote.read(signal));
    await remote.close();
    expect(batches.reduce((n, b) => n + b.numRows, 0)).toBe(10);
    // Far more than the 16 KiB a response's headers and trailers may hold by default.
    const applied = events.filter((e) => e.type === 'mask_applied');
    expect(applied.map((e) => e.column)).toEqual(columns);
    expect(applied.every((e) => e.rows === 10 && e.source === 'wide')).toBe(true);
    const decision = events.find((e) => e.type === 'remote_decision') as Record<string, unknown> | undefined;
    expect(decision).toMatchObject({ source: 'wide', proxy: server.url, verdict: 'allow' });
    expect(decision?.['policy_version']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('maps a denial to the same error code on the client side', async () => {
    const remote = createProxySource(
      {
        type: 'proxy',
        url: server.url,
        remote_connection: 'demo',
        retries: 0,
        token_env: 'PROXY_TOKEN',
        timeout_ms: 10_000,
      },
      { name: 'customers', table: 'customers', batch_rows: 100, purpose: 'analytics', masks: CUSTOMER_MASKS },
      context({ PROXY_TOKEN: token }),
    );
    await expect(remote.describe(new AbortController().signal)).rejects.toMatchObject({
      code: 'POLICY_DENIED',
    });
  });

  it('drains an in-flight stream on shutdown and refuses new requests meanwhile', async () => {
    const second = await startProxyServer({
      setup: { ...setup, auditPath: join(dir, '.sluice/audit-second.jsonl') },
      host: '127.0.0.1',
      port: 0,
    });
    // More than loopback socket buffers hold, so the server is still writing when it is told to stop.
    const stream = await pausedStream(second.url, { ...PAIRS, query: `${PAIRS.query} LIMIT 300000` });
    const closed = second.close(10_000);
    let closedYet = false;
    void closed.then(() => {
      closedYet = true;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(closedYet).toBe(false);
    // The stream started before the shutdown finishes completely.
    const chunks: Buffer[] = [stream.first];
    stream.res.resume();
    for await (const chunk of stream.res) chunks.push(chunk as Buffer);
    expect(stream.res.trailers['sluice-status']).toBe('ok');
    expect(tableFromIPC(Buffer.concat(chunks)).numRows).toBe(300_000);
    await closed;
    await expect(fetch(`${second.url}/healthz`)).rejects.toThrow();
  });

  it('serves HTTPS, and the client trusts it through `ca_file`', async () => {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'tls-key.pem'),
        '-out',
        join(dir, 'tls-cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const tls = await startProxyServer({
      setup: { ...setup, auditPath: join(dir, '.sluice/audit-tls.jsonl') },
      host: '127.0.0.1',
      port: 0,
      tls: { cert: await readFile(join(dir, 'tls-cert.pem')), key: await readFile(join(dir, 'tls-key.pem')) },
    });
    try {
      expect(tls.url).toMatch(/^https:/);
      const config = {
        type: 'proxy' as const,
        url: tls.url,
        remote_connection: 'demo',
        retries: 0,
        token_env: 'PROXY_TOKEN',
        timeout_ms: 10_000,
      };
      const spec = {
        name: 'customers',
        table: 'customers',
        columns: ['country'],
        batch_rows: 1000,
        purpose: 'model-training',
      };
      const trusted = createProxySource(
        { ...config, ca_file: 'tls-cert.pem' },
        spec,
        context({ PROXY_TOKEN: token }),
      );
      const batches = await collect(trusted.read(new AbortController().signal));
      expect(batches.reduce((n, b) => n + b.numRows, 0)).toBe(3000);
      const untrusted = createProxySource(config, spec, context({ PROXY_TOKEN: token }));
      await expect(untrusted.describe(new AbortController().signal)).rejects.toMatchObject({
        code: 'SOURCE_UNAVAILABLE',
      });
    } finally {
      await tls.close(1000);
    }
  });

  // Active once the planner hands masks to connections that declare `appliesMasks` (see
  // docs/proxy-server.md); until then a pipeline through the proxy would mask twice.
  it.skipIf(!PLANNER_HONOURS_APPLIES_MASKS)(
    'runs the demo pipeline through a `type: proxy` connection to byte-identical Parquet',
    async () => {
      const pipeline = await readFile(join(ROOT, 'pipelines/demo.yaml'), 'utf8');
      const write = async (project: string, config: string) => {
        await mkdir(join(project, 'pipelines'), { recursive: true });
        await writeFile(join(project, 'pipelines/demo.yaml'), pipeline);
        if (config) await writeFile(join(project, 'sluice.yaml'), config);
      };
      const local = await mkdtemp(join(tmpdir(), 'sluice-proxy-inproc-'));
      await cp(join(dir, 'fixtures'), join(local, 'fixtures'), { recursive: true });
      await cp(join(dir, '.sluice/demo'), join(local, '.sluice/demo'), { recursive: true });
      await cp(join(dir, 'tokens.jsonl'), join(local, 'tokens.jsonl'));
      await write(local, await readFile(join(dir, 'sluice.yaml'), 'utf8'));
      const client = await mkdtemp(join(tmpdir(), 'sluice-proxy-client-'));
      await write(
        client,
        [
          'version: 1',
          'connections:',
          `  demo: { type: proxy, url: "${server.url}", remote_connection: demo, token_env: PROXY_TOKEN }`,
          // Key ids are the server's; the client only names them (never resolved locally).
          'keys: { demo: { env: SLUICE_REMOTE_KEY } }',
          'identity:',
          '  authenticators:',
          '    - { type: local, enabled: true }',
          '',
        ].join('\n'),
      );
      const { runPipeline } = await import('../src/engine/run-pipeline.js');
      const identity = {
        subject: 'etl-bot',
        issuer: 'sluice-token',
        method: 'token' as const,
        groups: [],
        verified: true,
      };
      const inProcess = await runPipeline({
        pipeline: join(local, 'pipelines/demo.yaml'),
        registry: await createRegistry(),
        identity,
        env: {},
      });
      const remote = await runPipeline({
        pipeline: join(client, 'pipelines/demo.yaml'),
        registry: await createRegistry(),
        env: { PROXY_TOKEN: token },
      });
      const a = await readFile(inProcess.outputs[0]?.path ?? '');
      const b = await readFile(remote.outputs[0]?.path ?? '');
      expect(inProcess.outputs[0]?.rows).toBeGreaterThan(0);
      expect(b.equals(a)).toBe(true);

      // The client's manifest records the masks the server applied, as an in-process run does.
      type Manifest = {
        policy?: { sha256: string };
        sources: { name: string; masks: unknown[] }[];
        outputs: { columns: { name: string; masks: unknown[] }[] }[];
      };
      const manifestOf = async (path: string) => JSON.parse(await readFile(path, 'utf8')) as Manifest;
      const direct = await manifestOf(inProcess.manifest);
      const viaProxy = await manifestOf(remote.manifest);
      const masksOf = (m: Manifest) => m.sources.map((s) => ({ name: s.name, masks: s.masks }));
      expect(masksOf(direct).flatMap((s) => s.masks).length).toBeGreaterThan(0);
      expect(masksOf(viaProxy)).toEqual(masksOf(direct));
      expect(viaProxy.outputs.map((o) => o.columns)).toEqual(direct.outputs.map((o) => o.columns));
      expect(viaProxy.policy?.sha256).toBe(direct.policy?.sha256);
      expect(direct.policy?.sha256).toMatch(/^[0-9a-f]{64}$/);

      // The client's audit log links each source to the server's decision.
      const clientAudit = (await readFile(remote.audit_log, 'utf8'))
        .trim()
        .split('\n')
        .map(
          (l) => JSON.parse(l) as { kind: string; source?: string; verdict?: string; request_id?: string },
        );
      const remoteDecisions = clientAudit.filter((r) => r.kind === 'decision.remote');
      expect(remoteDecisions.map((r) => r.source).sort()).toEqual(viaProxy.sources.map((s) => s.name).sort());
      expect(remoteDecisions.every((r) => r.verdict === 'allow' && (r.request_id ?? '').length > 0)).toBe(
        true,
      );
    },
  );
});
