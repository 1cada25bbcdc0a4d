// Proxy load benchmark (a script, not a test), on loopback. Starts `bench/proxy-load/server.ts` in
// a child process over the synthetic fixture, then for N = 1, 8, 32 concurrent clients each
// extracting `--rows` masked customer rows (hmac id + email, redact name, partial ssn, null phone):
//   through the server: the `proxy` connection's client source (HTTP + Arrow IPC decode);
//   in-process: `extractSource` in this process (same decision, masks and batches; no HTTP).
// Reports total rows/s, p50/p99 time to first batch, errors, and the server's peak RSS per N.
// The server runs at most `--max-concurrent` extractions (default 8); the rest wait in its admission
// queue, whose waits and refusals are reported per N.
// Usage: npx vite-node bench/proxy-load/run.ts [--rows 100000] [--clients 1,8,32] [--time-limit 120]
//   [--max-concurrent 8]
import { spawn } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createProxySource } from '../../connectors/proxy/index.js';
import { createRegistry } from '../../src/cli/registry.js';
import { EventBus } from '../../src/core/events.js';
import { silentLogger } from '../../src/core/logger.js';
import { createSecretResolver } from '../../src/core/secrets.js';
import { createToken } from '../../src/identity/create-token.js';
import { extractSource } from '../../src/proxy/extract-source.js';
import { loadServerConfig } from '../../src/proxy/server/load-server-config.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
}
const rows = Number(option('rows', '100000'));
const clientCounts = option('clients', '1,8,32').split(',').map(Number);
const timeLimitS = Number(option('time-limit', '120'));
const maxConcurrent = option('max-concurrent', '8');

const MASKS = {
  id: { mask: 'hmac', key_id: 'demo', output: 'int64' },
  email: { mask: 'hmac', key_id: 'demo' },
  full_name: { mask: 'redact' },
  ssn: { mask: 'partial', keep_last: 4 },
  phone: { mask: 'null' },
};
const COLUMNS = ['id', 'email', 'full_name', 'ssn', 'phone', 'country'];
const BATCH_ROWS = 10_000;

const dir = await mkdtemp(join(tmpdir(), 'sluice-proxy-load-'));
await mkdir(join(dir, 'fixtures/keys'), { recursive: true });
await cp(join(ROOT, 'fixtures/keys/demo.key'), join(dir, 'fixtures/keys/demo.key'));
const policy = await readFile(join(ROOT, 'fixtures/policies/demo-policy.yaml'), 'utf8');
await writeFile(
  join(dir, 'policy.yaml'),
  policy.replace('subjects: ["*"]', 'subjects: ["bench"]').replace('methods: [local]', 'methods: [token]'),
);
await writeFile(
  join(dir, 'sluice.yaml'),
  [
    'version: 1',
    'connections:',
    `  demo: { type: fixture, path: fixtures.duckdb, rows: ${rows}, seed: 42 }`,
    'policy: policy.yaml',
    'keys: { demo: { file: fixtures/keys/demo.key } }',
    'identity: { authenticators: [ { type: token, tokens_file: tokens.jsonl } ] }',
    '',
  ].join('\n'),
);
const token = (await createToken(join(dir, 'tokens.jsonl'), { subject: 'bench', createdBy: 'bench' })).token;
const identity = {
  subject: 'bench',
  issuer: 'sluice-token',
  method: 'token' as const,
  groups: [],
  verified: true,
};

const registry = await createRegistry();
const setup = await loadServerConfig(join(dir, 'sluice.yaml'), registry, {});
const ctx = (runId: string) => ({
  runId,
  events: new EventBus(runId),
  logger: silentLogger,
  baseDir: dir,
  secrets: createSecretResolver(dir, { BENCH_TOKEN: token }),
  keys: setup.keys,
  tempDir: dir,
});

interface Result {
  rows: number;
  ttfbMs: number;
  error?: string;
}

async function viaServer(url: string, i: number, signal: AbortSignal): Promise<Result> {
  const started = performance.now();
  const source = createProxySource(
    // No client retries: the bench reports the server's refusals as they happen.
    {
      type: 'proxy',
      url,
      remote_connection: 'demo',
      token_env: 'BENCH_TOKEN',
      timeout_ms: 60_000,
      retries: 0,
    },
    {
      name: 'customers',
      table: 'customers',
      columns: COLUMNS,
      batch_rows: BATCH_ROWS,
      purpose: 'model-training',
      masks: MASKS,
    },
    ctx(`client-${i}`),
  );
  let n = 0;
  let ttfbMs = Number.NaN;
  try {
    for await (const batch of source.read(signal)) {
      if (n === 0) ttfbMs = performance.now() - started;
      n += batch.numRows;
    }
    return { rows: n, ttfbMs };
  } catch (err) {
    return { rows: n, ttfbMs, error: (err as { code?: string }).code ?? String(err) };
  } finally {
    await source.close();
  }
}

async function inProcess(i: number, signal: AbortSignal): Promise<Result> {
  const started = performance.now();
  let n = 0;
  let ttfbMs = Number.NaN;
  try {
    const x = await extractSource(
      setup,
      identity,
      {
        source: 'customers',
        connection: 'demo',
        table: 'customers',
        columns: COLUMNS,
        purpose: 'model-training',
        masks: MASKS,
        batch_rows: BATCH_ROWS,
      },
      { events: new EventBus(`local-${i}`), runId: `local-${i}`, tempDir: dir, signal },
    );
    try {
      for await (const batch of x.batches) {
        if (n === 0) ttfbMs = performance.now() - started;
        n += batch.numRows;
      }
    } finally {
      await x.close();
    }
    return { rows: n, ttfbMs };
  } catch (err) {
    return { rows: n, ttfbMs, error: (err as { code?: string }).code ?? String(err) };
  }
}

function percentile(values: number[], p: number): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

async function scenario(n: number, one: (i: number, signal: AbortSignal) => Promise<Result>) {
  const limit = AbortSignal.timeout(timeLimitS * 1000);
  setMaxListeners(0, limit); // one listener per client
  const started = performance.now();
  const results = await Promise.all(Array.from({ length: n }, (_, i) => one(i, limit)));
  const seconds = (performance.now() - started) / 1000;
  const total = results.reduce((s, r) => s + r.rows, 0);
  const errors = results.filter((r) => r.error !== undefined || r.rows !== rows);
  return {
    clients: n,
    rows: total,
    seconds: Math.round(seconds * 100) / 100,
    rows_per_s: Math.round(total / seconds),
    ttfb_p50_ms: Math.round(
      percentile(
        results.map((r) => r.ttfbMs),
        50,
      ),
    ),
    ttfb_p99_ms: Math.round(
      percentile(
        results.map((r) => r.ttfbMs),
        99,
      ),
    ),
    errors: errors.length,
    error_codes: [...new Set(errors.map((r) => r.error ?? 'short'))],
  };
}

// Generate the fixture once, outside the measurements.
await inProcess(-1, new AbortController().signal);

const child = spawn(
  process.execPath,
  [
    join(ROOT, 'node_modules/vite-node/vite-node.mjs'),
    join(ROOT, 'bench/proxy-load/server.ts'),
    join(dir, 'sluice.yaml'),
    maxConcurrent,
  ],
  {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
const nextJson = async () =>
  JSON.parse(String((await lines.next()).value)) as Record<string, number | string>;
const ready = await nextJson();
const url = String(ready['url']);

/** The server's cumulative admission-queue counters. */
async function queueMetrics(): Promise<{ waits: number; waitSum: number; refused: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (re: RegExp) =>
    text
      .split('\n')
      .filter((l) => re.test(l))
      .reduce((s, l) => s + Number(l.split(' ').at(-1)), 0);
  return {
    waits: value(/^sluice_proxy_queue_wait_seconds_count /),
    waitSum: value(/^sluice_proxy_queue_wait_seconds_sum /),
    refused: value(/^sluice_proxy_queue_refused_total/),
  };
}

const report: Record<string, unknown>[] = [];
for (const n of clientCounts) {
  const before = await queueMetrics();
  const server = await scenario(n, (i, signal) => viaServer(url, i, signal));
  const after = await queueMetrics();
  child.kill('SIGUSR2');
  const { peak_rss_mib } = await nextJson();
  const local = await scenario(n, inProcess);
  const waits = after.waits - before.waits;
  report.push({
    mode: 'server',
    ...server,
    server_peak_rss_mib: peak_rss_mib,
    queue_mean_wait_ms: waits === 0 ? 0 : Math.round(((after.waitSum - before.waitSum) / waits) * 1000),
    queue_refused: after.refused - before.refused,
  });
  report.push({ mode: 'in-process', ...local });
}
child.kill('SIGTERM');
await nextJson();

console.log(
  JSON.stringify(
    {
      rows_per_client: rows,
      batch_rows: BATCH_ROWS,
      server_max_concurrent: Number(maxConcurrent),
      server_idle_rss_mib: ready['rss_mib'],
      cpus: cpus().length,
      node: process.version,
      results: report,
    },
    null,
    2,
  ),
);
