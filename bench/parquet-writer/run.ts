// Parquet output: the current DuckDB-backed `ParquetSink` (append into a work table, then COPY)
// against parquet-wasm (arrow-rs in WebAssembly) fed Arrow IPC, on the same fixture batches.
//   npx vite-node bench/parquet-writer/run.ts [--rows 1000000] [--only duckdb|wasm] [--table customers]
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import { openDuckDB } from '../../connectors/duckdb/driver.js';
import { parquetConfigSchema, parquetOutput } from '../../connectors/duckdb/parquet-sink.js';
import { ParquetWasmWriter } from '../../connectors/duckdb/parquet-wasm-writer.js';
import { testContext } from '../../connectors/duckdb/test-context.js';
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
const sha = async (p: string) => createHash('sha256').update(await readFile(p)).digest('hex');

async function viaSink(path: string): Promise<number> {
  const sink = parquetOutput.create(parquetConfigSchema.parse({ format: 'parquet', path }), ctx);
  const t0 = performance.now();
  await sink.open(table!.schema, signal);
  for (const b of batches) await sink.write(b, signal);
  await sink.finish(signal);
  await sink.commit();
  return performance.now() - t0;
}

async function viaWasm(path: string): Promise<number> {
  const t0 = performance.now();
  const w = await ParquetWasmWriter.open(path, table!.schema, { compression: 'zstd', rowGroupRows: 122880 });
  for (const b of batches) await w.write(b);
  await w.finish();
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
if (ONLY !== 'wasm') await measure('duckdb sink', viaSink, join(ctx.baseDir, 'a.parquet'));
if (ONLY !== 'duckdb') {
  await measure('parquet-wasm', viaWasm, join(dir, 'b1.parquet'));
  await measure('parquet-wasm (2nd run)', viaWasm, join(dir, 'b2.parquet'));
  const [h1, h2] = [await sha(join(dir, 'b1.parquet')), await sha(join(dir, 'b2.parquet'))];
  console.log(`parquet-wasm byte-identical across runs: ${h1 === h2} (${h1.slice(0, 16)})`);
}
const a = results['duckdb sink'];
const b = results['parquet-wasm'];
if (a && b) {
  console.log(`ratio parquet-wasm / duckdb sink (rows/s): ${(a.ms / b.ms).toFixed(2)}x`);
  const q = (p: string) => `read_parquet('${p}')`;
  const cmp = await duck(
    `SELECT (SELECT count(*) FROM ${q(a.path)})::BIGINT AS rows_a, (SELECT count(*) FROM ${q(b.path)})::BIGINT AS rows_b,
      (SELECT sum(hash(t))::VARCHAR FROM ${q(a.path)} t) AS hash_a, (SELECT sum(hash(t))::VARCHAR FROM ${q(b.path)} t) AS hash_b,
      (SELECT count(*) FROM ((FROM ${q(a.path)} EXCEPT ALL FROM ${q(b.path)}) UNION ALL (FROM ${q(b.path)} EXCEPT ALL FROM ${q(a.path)})))::BIGINT AS diff`,
  );
  console.log('readback:', JSON.stringify(cmp[0]));
  const types = async (p: string) =>
    (await duck(`SELECT column_name, column_type FROM (DESCRIBE FROM ${q(p)})`))
      .map((r) => `${r.column_name} ${r.column_type}`)
      .join(', ');
  const [ta, tb] = [await types(a.path), await types(b.path)];
  console.log(`types equal: ${ta === tb}\n  duckdb: ${ta}\n  wasm:   ${tb}`);
  const order = await duck(
    `SELECT count(*)::BIGINT AS n FROM (SELECT id, row_number() OVER () AS rn FROM ${q(b.path)}) WHERE id <> rn - 1`,
  );
  console.log('wasm rows out of order:', JSON.stringify(order[0]));
}
await ctx.cleanup();
