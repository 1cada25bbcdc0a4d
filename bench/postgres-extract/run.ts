// Extraction benchmark (a script, not a test). Loads N rows of `customers` into a throwaway
// cluster, then times, in the same run:
//   (a) psql -c "COPY customers TO STDOUT" > /dev/null
//   (b) `pipeline run`: cursor path → Parquet
//   (c) `pipeline run`: binary-COPY path → Parquet
//   (d) (c) + masks: hmac email, partial ssn, redact full_name
// (b)–(d) run the built CLI (the real pipeline path: plan, policy-free guard, masks, Parquet
// staging and commit, signed manifest) as child processes under /usr/bin/time -v, for peak RSS.
// Usage: npm run build && npx vite-node bench/postgres-extract/run.ts [--rows N] [--repeat R]
//   [--cases a,arrow,b,c,d] [--compression snappy|zstd|gzip|uncompressed]
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { postgresConfigSchema } from '../../connectors/postgres/config.js';
import { PostgresSource } from '../../connectors/postgres/postgres-source.js';
import { createSecretResolver, EventBus, silentLogger } from '../../src/index.js';
import { findPostgresBin, startPostgresCluster } from '../../src/testing/postgres-cluster.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = join(ROOT, 'dist/src/cli/main.js');

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive whole number`);
  return value;
}
const rows = option('rows', 1_000_000);
// --repeat R: rounds of (a), the connector-only COPY read, (c) and (d).
const repeat = option('repeat', 5);
// --cases a,c runs a subset: a, arrow (the connector-only reads), b, c, d. (a) always runs.
const casesAt = process.argv.indexOf('--cases');
const cases = new Set((casesAt >= 0 ? (process.argv[casesAt + 1] ?? '') : 'a,arrow,b,c,d').split(','));
// --compression snappy|zstd|gzip|uncompressed: the Parquet codec of (b)-(d) (default: the output's default, snappy).
const compressionAt = process.argv.indexOf('--compression');
const compression = compressionAt >= 0 ? process.argv[compressionAt + 1] : undefined;

interface Measure {
  seconds: number;
  maxRssKiB: number;
  /** Wall time of the whole child process (Node start-up and exit included), when it differs. */
  wallSeconds?: number;
}

/** Runs a command under `/usr/bin/time -v`: wall seconds and peak RSS of the child. */
function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd: string, stdout: 'ignore' | 'pipe') {
  return new Promise<Measure & { stdout: string }>((resolvePromise, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-v', cmd, ...args], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', stdout, 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) return reject(new Error(`${cmd} exited with ${code}: ${err.slice(-2000)}`));
      const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(err);
      resolvePromise({ seconds, maxRssKiB: Number(rss?.[1] ?? 0), stdout: out });
    });
  });
}

const cluster = await startPostgresCluster();
const project = await mkdtemp(join(tmpdir(), 'sluice-bench-pg-'));
try {
  const client = new pg.Client({ connectionString: cluster.url });
  await client.connect();
  await client.query(
    `CREATE TABLE customers (
      id bigint PRIMARY KEY, email text, full_name text, ssn text, created_at timestamptz,
      balance numeric(12,2), active bool, score float8, country char(2));
     INSERT INTO customers
     SELECT g, 'user' || g || '@example.com', 'Name ' || md5(g::text), lpad((g % 1000000000)::text, 9, '0'),
       '2020-01-01'::timestamptz + g * interval '1 minute', (g % 100000) / 100.0, g % 3 = 0, g / 7.0,
       CASE WHEN g % 2 = 0 THEN 'US' ELSE 'DE' END
     FROM generate_series(1, ${rows}) g;`,
  );
  await client.query('VACUUM ANALYZE customers');
  await client.end();

  await mkdir(join(project, 'keys'));
  await copyFile(join(ROOT, 'fixtures/keys/demo.key'), join(project, 'keys/bench.key'));
  await writeFile(
    join(project, 'sluice.yaml'),
    `version: 1
connections:
  pg: { type: postgres, dsn: { env: BENCH_PG_DSN } }
  pg_cursor: { type: postgres, dsn: { env: BENCH_PG_DSN }, copy_binary: false }
policy: policy.yaml
keys:
  bench: { file: keys/bench.key }
identity:
  authenticators:
    - { type: local, enabled: true }
`,
  );
  // The drift guard (part of every run) stops unclassified personal data: classify the columns,
  // and let the benchmark purpose read them unmasked for (b) and (c).
  const classified = (connection: string) =>
    ['email: pii', 'full_name: pii', 'ssn: pii']
      .map((c) => `  ${connection}.public.customers.${c}`)
      .join('\n');
  await writeFile(
    join(project, 'policy.yaml'),
    `version: 1
classes:
  pii:
    satisfied_by: [{ mask: hmac }, { mask: redact }, { mask: partial }]
    allow_unmasked_for: [benchmark]
classifications:
${classified('pg')}
${classified('pg_cursor')}
purposes:
  benchmark: { description: Extraction benchmark. }
rules:
  - id: bench
    subjects: ['*']
    methods: [local]
    allow_unverified: true
    purposes: [benchmark]
    connections: [pg, pg_cursor]
    tables: [customers]
`,
  );
  const pipeline = (name: string, connection: string, masks: string) =>
    writeFile(
      join(project, `${name}.yaml`),
      `version: 1
name: bench-${name}
purpose: benchmark
owner: bench@example.com
sources:
  customers:
    connection: ${connection}
    table: customers
    columns: [id, email, full_name, ssn, created_at, balance, active, score, country]
    batch_rows: 65536
${masks}
outputs:
  - { path: out/${name}/customers.parquet, format: parquet${compression ? `, compression: ${compression}` : ''} }
manifest: { path: out/${name}/manifest.json }
`,
    );
  await pipeline('cursor', 'pg_cursor', '');
  await pipeline('copy', 'pg', '');
  await pipeline(
    'masked',
    'pg',
    `transforms:
  customers:
    email: { mask: hmac, key_id: bench }
    ssn: { mask: partial, keep_last: 4 }
    full_name: { mask: redact }`,
  );

  const env = { BENCH_PG_DSN: cluster.url };
  const psql = join(findPostgresBin(), 'psql');
  const rawCopy = () => timed(psql, [cluster.url, '-c', 'COPY customers TO STDOUT'], env, project, 'ignore');
  const runPipeline = (name: string) => async (): Promise<Measure> => {
    await rm(join(project, 'out', name), { recursive: true, force: true });
    // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of each pipeline run there.
    const prof = process.env.BENCH_CPU_PROF
      ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF]
      : [];
    // BENCH_NODE_IMPORT=<file> preloads a module into each pipeline run (e.g. to log open handles).
    if (process.env.BENCH_NODE_IMPORT) prof.push('--import', process.env.BENCH_NODE_IMPORT);
    const m = await timed(
      process.execPath,
      [...prof, CLI, 'run', `${name}.yaml`, '--json'],
      env,
      project,
      'pipe',
    );
    const result = JSON.parse(m.stdout) as { duration_ms: number; outputs: { rows: number }[] };
    if (result.outputs[0]?.rows !== rows) throw new Error(`${name}: wrote ${result.outputs[0]?.rows} rows`);
    // The run's own duration: excludes Node start-up and module loading (~0.5 s), which a
    // long-running extraction pays once.
    return { seconds: result.duration_ms / 1000, maxRssKiB: m.maxRssKiB, wallSeconds: m.seconds };
  };
  // The connector alone, in this process: the read paths into Arrow batches, no pipeline.
  const extract = (copy_binary: boolean) => async (): Promise<Measure> => {
    const runId = `bench-${copy_binary}`;
    const source = new PostgresSource(
      postgresConfigSchema.parse({ type: 'postgres', dsn: { env: 'BENCH_PG_DSN' }, copy_binary }),
      { name: 'customers', query: 'SELECT * FROM customers', batch_rows: 65_536 },
      {
        runId,
        events: new EventBus(runId),
        logger: silentLogger,
        baseDir: project,
        secrets: createSecretResolver(project, env),
        keys: { get: () => Promise.reject(new Error('no keys')), ids: () => [] },
        tempDir: project,
      },
    );
    const started = process.hrtime.bigint();
    let n = 0;
    for await (const batch of source.read(new AbortController().signal)) n += batch.numRows;
    await source.close();
    if (n !== rows) throw new Error(`read ${n} rows, expected ${rows}`);
    return { seconds: Number(process.hrtime.bigint() - started) / 1e9, maxRssKiB: 0 };
  };
  // The slow cursor cases run once. (a) and the fast cases run in rounds, one of each per round, so
  // that drift in the machine's speed (large on a shared VM) hits the baseline and the cases alike.
  const arrowCursor = cases.has('arrow') ? await extract(false)() : undefined;
  const cursor = cases.has('b') ? await runPipeline('cursor')() : undefined;
  const runs: Record<'a' | 'arrow' | 'c' | 'd', Measure[]> = { a: [], arrow: [], c: [], d: [] };
  for (let round = 0; round < repeat; round++) {
    runs.a.push(await rawCopy());
    if (cases.has('arrow')) runs.arrow.push(await extract(true)());
    if (cases.has('c')) runs.c.push(await runPipeline('copy')());
    if (cases.has('d')) runs.d.push(await runPipeline('masked')());
  }
  const median = (xs: number[]) => {
    const sorted = [...xs].sort((x, y) => x - y);
    const mid = sorted.length >> 1;
    return sorted.length % 2
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  };
  interface Summary {
    seconds: number;
    best: number;
    maxRssKiB: number;
    wallSeconds?: number;
    /** Median over rounds of (a)'s time divided by this case's time in the same round. */
    paired?: number;
  }
  const summary = (ms: Measure[]): Summary | undefined => {
    if (ms.length === 0) return undefined;
    const walls = ms.flatMap((m) => (m.wallSeconds === undefined ? [] : [m.wallSeconds]));
    return {
      seconds: median(ms.map((m) => m.seconds)),
      best: Math.min(...ms.map((m) => m.seconds)),
      maxRssKiB: Math.max(...ms.map((m) => m.maxRssKiB)),
      ...(walls.length > 0 ? { wallSeconds: median(walls) } : {}),
      ...(ms.length === runs.a.length && ms !== runs.a
        ? { paired: median(ms.map((m, i) => (runs.a[i] as Measure).seconds / m.seconds)) }
        : {}),
    };
  };
  const raw = summary(runs.a) as Summary;
  const single = (m: Measure | undefined): Summary | undefined => m && { ...m, best: m.seconds };

  const load = spawnSync('cat', ['/proc/loadavg'], { encoding: 'utf8' })
    .stdout.split(' ')
    .slice(0, 3)
    .join(' ');
  console.log(
    `rows ${rows.toLocaleString('en-US')}  node ${process.version}  ${cpus()[0]?.model ?? '?'} ×${cpus().length}  load ${load}  rounds ${repeat} (medians; ratio = median (a) / median case, paired = median of per-round ratios)`,
  );
  const line = (label: string, m: Summary | undefined) =>
    m &&
    console.log(
      `${label.padEnd(40)} ${m.seconds.toFixed(2).padStart(6)} s (best ${m.best.toFixed(2)})  ${Math.round(
        rows / m.seconds,
      )
        .toLocaleString('en-US')
        .padStart(
          10,
        )} rows/s  ${(raw.seconds / m.seconds).toFixed(2)}×${m.paired === undefined ? '' : ` (paired ${m.paired.toFixed(2)}×)`}  peak RSS ${m.maxRssKiB ? `${Math.round(m.maxRssKiB / 1024)} MiB` : 'n/a (in the bench process)'}${m.wallSeconds === undefined ? '' : `  (process wall ${m.wallSeconds.toFixed(2)} s)`}`,
    );
  line('(a) psql COPY text → /dev/null', raw);
  line('    cursor → Arrow (connector only)', single(arrowCursor));
  line('    COPY binary → Arrow (connector only)', summary(runs.arrow));
  line('(b) cursor → Parquet', single(cursor));
  line('(c) COPY binary → Parquet', summary(runs.c));
  line('(d) (c) + hmac/partial/redact', summary(runs.d));
  // The Parquet files' digests, to check that a change to the read path leaves the output unchanged.
  for (const name of ['cursor', 'copy', 'masked']) {
    const file = join(project, 'out', name, 'customers.parquet');
    const bytes = await readFile(file).catch(() => undefined);
    if (bytes) console.log(`sha256 ${name.padEnd(7)} ${createHash('sha256').update(bytes).digest('hex')}`);
  }
} finally {
  await rm(project, { recursive: true, force: true });
  await cluster.stop();
}
