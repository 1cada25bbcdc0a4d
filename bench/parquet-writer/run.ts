// Parquet output: the former DuckDB path of `ParquetSink` (append into a work table, then COPY,
// reproduced below) against `ParquetSink` as it is now (parquet-wasm, arrow-rs in WebAssembly, fed
// Arrow IPC), on the same fixture batches.
//   npx vite-node bench/parquet-writer/run.ts [--rows 1000000] [--only duckdb|wasm] [--table customers]
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import { ArrowTableWriter } from '../../connectors/duckdb/arrow-to-duckdb.js';
import { openDuckDB } from '../../connectors/duckdb/driver.js';
import { parquetConfigSchema, parquetOutput } from '../../connectors/duckdb/parquet-sink.js';
import { quoteLiteral } from '../../connectors/duckdb/sql.js';
import { testContext } from '../../connectors/duckdb/test-context.js';
import { openWorkDatabase } from '../../connectors/duckdb/work-database.js';
import { fixtureTables } from '../../fixtures/generator.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? String(process.argv[i + 1]) : fallback;
}

const ROWS = Number(arg('rows', '1000000'));
const ONLY = arg('only', 'both');
const TABLE = arg('table', 'customers');
const signal = new AbortController().signal;

const table = fixtureTables({ rows: ROWS, seed: 42 }).find((t) => t.name === TABLE);
if (!table) throw new Error(`no fixture table ${TABLE}`);
const batches: RecordBatch[] = [];
for await (const b of table.batches()) batches.push(b);
const rows = batches.reduce((n, b) => n + b.numRows, 0);
const rssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
const baseRss = rssMb();
console.log(
  `${TABLE}: ${rows} rows in ${batches.length} batches; ${cpus().length} CPUs, load ${loadavg()[0]?.toFixed(1)}, Node ${process.version}; peak RSS after generating ${baseRss} MB`,
);

const ctx = await testContext('bench');
const sha = async (p: string) =>
  createHash('sha256')
    .update(await readFile(p))
    .digest('hex');

/** The sink's former write/finish path: a one-thread work database, appender, COPY. */
async function viaDuckDB(path: string): Promise<number> {
  const t0 = performance.now();
  const work = await openWorkDatabase(ctx.tempDir, { threads: 1 });
  const session = await work.db.connect();
  const writer = await ArrowTableWriter.create(session, 't', table!.schema, 'bench');
  for (const b of batches) writer.append(b);
  writer.close();
  await session.run(
    `COPY t TO ${quoteLiteral(path)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)`,
  );
  session.close();
  await work.dispose();
  return performance.now() - t0;
}

async function viaSink(path: string): Promise<number> {
  const sink = parquetOutput.create(parquetConfigSchema.parse({ format: 'parquet', path }), ctx);
  const t0 = performance.now();
  await sink.open(table!.schema, signal);
  for (const b of batches) await sink.write(b, signal);
  await sink.finish(signal);
  await sink.commit();
  return performance.now() - t0;
}

async function duck(sql: string): Promise<Record<string, unknown>[]> {
  const db = await openDuckDB(':memory:');
  const s = await db.connect();
  try {
    return await s.rows(sql);
  } finally {
    s.close();
    db.close();
  }
}

const results: Record<string, { ms: number; bytes: number; path: string }> = {};
async function measure(name: string, run: (p: string) => Promise<number>, path: string) {
  const ms = await run(path);
  const bytes = (await stat(path)).size;
  results[name] = { ms, bytes, path };
  console.log(
    `${name}: ${ms.toFixed(0)} ms, ${((rows / ms) * 1000).toFixed(0)} rows/s, ${bytes} bytes, peak RSS so far ${rssMb()} MB`,
  );
}

const dir = await mkdtemp(join(tmpdir(), 'sluice-parquet-bench-'));
if (ONLY !== 'wasm') await measure('duckdb', viaDuckDB, join(dir, 'a.parquet'));
if (ONLY !== 'duckdb') {
  await measure('parquet-wasm', viaSink, join(ctx.baseDir, 'b1.parquet'));
  await measure('parquet-wasm (2nd run)', viaSink, join(ctx.baseDir, 'b2.parquet'));
  const [h1, h2] = [await sha(join(ctx.baseDir, 'b1.parquet')), await sha(join(ctx.baseDir, 'b2.parquet'))];
  console.log(`parquet-wasm byte-identical across runs: ${h1 === h2} (${h1.slice(0, 16)})`);
}
const a = results['duckdb'];
const b = results['parquet-wasm'];
if (a && b) {
  console.log(`ratio parquet-wasm / duckdb (rows/s): ${(a.ms / b.ms).toFixed(2)}x`);
  const q = (p: string) => `read_parquet('${p}')`;
  const cmp = await duck(
    `SELECT (SELECT count(*) FROM ${q(a.path)})::BIGINT AS rows_a, (SELECT count(*) FROM ${q(b.path)})::BIGINT AS rows_b,
      (SELECT sum(hash(t))::VARCHAR FROM ${q(a.path)} t) AS hash_a, (SELECT sum(hash(t))::VARCHAR FROM ${q(b.path)} t) AS hash_b,
      (SELECT count(*) FROM ((FROM ${q(a.path)} EXCEPT ALL FROM ${q(b.path)}) UNION ALL (FROM ${q(b.path)} EXCEPT ALL FROM ${q(a.path)})))::BIGINT AS diff`,
  );
  console.log(
    'readback:',
    JSON.stringify(cmp[0], (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
  );
  const types = async (p: string) =>
    (await duck(`SELECT column_name, column_type FROM (DESCRIBE FROM ${q(p)})`))
      .map((r) => `${r.column_name} ${r.column_type}`)
      .join(', ');
  const [ta, tb] = [await types(a.path), await types(b.path)];
  console.log(`types equal: ${ta === tb}\n  duckdb: ${ta}\n  wasm:   ${tb}`);
  const order = await duck(
    `SELECT count(*)::BIGINT AS n FROM (SELECT id, row_number() OVER () AS rn FROM ${q(a.path)}) x JOIN (SELECT id, row_number() OVER () AS rn FROM ${q(b.path)}) y USING (rn) WHERE x.id <> y.id`,
  );
  console.log(
    'rows in a different order than the DuckDB file:',
    JSON.stringify(order[0], (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
  );
}
await ctx.cleanup();
await rm(dir, { recursive: true, force: true });
