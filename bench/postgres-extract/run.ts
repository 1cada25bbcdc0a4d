// Extraction benchmark (a script, not a test): raw `COPY ... TO STDOUT` via psql vs the Sluice
// cursor and binary-COPY paths decoding into Arrow batches. Output to Parquet is not included yet.
// Usage: npx vite-node bench/postgres-extract/run.ts [rows=1000000]
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { admin, sourceFor } from '../../connectors/postgres/test/harness.js';
import { findPostgresBin, startPostgresCluster } from '../../src/testing/postgres-cluster.js';

const rows = Number(process.argv[2] ?? 1_000_000);
const cluster = await startPostgresCluster();
try {
  await admin(
    cluster.url,
    `CREATE TABLE customers (
      id bigint PRIMARY KEY, email text, full_name text, ssn text, created_at timestamptz,
      balance numeric(12,2), active bool, score float8, country char(2));
     INSERT INTO customers
     SELECT g, 'user' || g || '@example.com', 'Name ' || md5(g::text), lpad((g % 1000000000)::text, 9, '0'),
       '2020-01-01'::timestamptz + g * interval '1 minute', (g % 100000) / 100.0, g % 3 = 0, g / 7.0,
       CASE WHEN g % 2 = 0 THEN 'US' ELSE 'DE' END
     FROM generate_series(1, ${rows}) g;`,
  );
  await admin(cluster.url, 'VACUUM ANALYZE customers');
  const time = async (run: () => Promise<unknown> | unknown) => {
    const start = process.hrtime.bigint();
    await run();
    return Number(process.hrtime.bigint() - start) / 1e9;
  };
  const psql = join(findPostgresBin(), 'psql');
  const raw = await time(() => {
    const r = spawnSync(psql, [cluster.url, '-c', 'COPY customers TO STDOUT'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (r.status !== 0) throw new Error('psql failed');
  });
  const extract = (copy_binary: boolean) => async () => {
    const source = sourceFor(cluster.url, {
      query: 'SELECT * FROM customers',
      batchRows: 65_536,
      config: { copy_binary },
    });
    let n = 0;
    for await (const batch of source.read(new AbortController().signal)) n += batch.numRows;
    await source.close();
    if (n !== rows) throw new Error(`read ${n} rows, expected ${rows}`);
  };
  // Best of two for the fast paths: the machine is shared, so single runs are noisy.
  const copy = Math.min(await time(extract(true)), await time(extract(true)));
  const cursor = await time(extract(false));
  const rate = (s: number) => Math.round(rows / s).toLocaleString('en-US');
  console.log(`rows: ${rows}  node ${process.version}  ${cpus()[0]?.model ?? '?'} x${cpus().length}`);
  console.log(`(a) psql COPY text → /dev/null  ${raw.toFixed(2)} s  ${rate(raw)} rows/s  1.00×`);
  console.log(
    `(b) cursor → Arrow              ${cursor.toFixed(2)} s  ${rate(cursor)} rows/s  ${(raw / cursor).toFixed(2)}×`,
  );
  console.log(
    `(c) COPY binary → Arrow         ${copy.toFixed(2)} s  ${rate(copy)} rows/s  ${(raw / copy).toFixed(2)}×`,
  );
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
} finally {
  await cluster.stop();
}
