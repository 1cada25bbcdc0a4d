import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeDuckDBDatabase } from '../../connectors/duckdb/index.js';
import { fixtureTables } from '../../fixtures/generator.js';
import { EventBus } from '../core/events.js';
import { createLogger } from '../core/logger.js';
import { createSecretResolver } from '../core/secrets.js';
import { createKeyRing } from '../transforms/key-ring.js';
import { createRegistry } from './registry.js';

/** Writes the seeded fixture tables as one DuckDB file, or one Parquet/CSV file per table. */
export async function generateFixtureFiles(options: {
  out: string;
  rows: number;
  seed: number;
  format: 'duckdb' | 'parquet' | 'csv';
}): Promise<{ path: string; rows: number }[]> {
  const out = resolve(options.out);
  await mkdir(out, { recursive: true });
  const tables = fixtureTables({ rows: options.rows, seed: options.seed });
  if (options.format === 'duckdb') {
    const path = join(out, 'fixtures.duckdb');
    await writeDuckDBDatabase(path, tables);
    return tables.map((t) => ({ path: `${path}#${t.name}`, rows: t.rows }));
  }
  const registry = await createRegistry();
  const runId = `fixtures-${process.pid}`;
  const secrets = createSecretResolver(out);
  const ctx = {
    runId,
    events: new EventBus(runId),
    logger: createLogger(),
    baseDir: out,
    secrets,
    keys: createKeyRing({}, secrets),
    tempDir: out,
  };
  const signal = new AbortController().signal;
  const written: { path: string; rows: number }[] = [];
  for (const table of tables) {
    const path = join(out, `${table.name}.${options.format}`);
    const definition = registry.get('output', options.format);
    const sink = definition.create(definition.configSchema.parse({ format: options.format, path }), ctx);
    try {
      await sink.open(table.schema, signal);
      for await (const batch of table.batches(signal)) await sink.write(batch, signal);
      await sink.finish(signal);
      await sink.commit();
    } catch (err) {
      await sink.abort();
      throw err;
    }
    written.push({ path, rows: table.rows });
  }
  return written;
}
