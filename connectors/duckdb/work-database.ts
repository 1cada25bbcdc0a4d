import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { removeQuietly } from '../../src/index.js';
import { type DuckDBDatabase, openDuckDB } from './driver.js';

/** A DuckDB database file private to one component, with its spill directory beside it. */
export interface WorkDatabase {
  readonly db: DuckDBDatabase;
  readonly dir: string;
  /** Closes the database and removes its directory; safe to call twice. */
  dispose(): Promise<void>;
}

export interface WorkDatabaseOptions {
  memoryLimit?: string;
  threads?: number;
}

/**
 * Opens a fresh database file inside a new directory under `parent`. A file (rather than
 * `:memory:`) lets DuckDB spill to disk instead of holding whole tables in RAM.
 */
export async function openWorkDatabase(
  parent: string,
  options: WorkDatabaseOptions = {},
): Promise<WorkDatabase> {
  const dir = join(parent, `.sluice-duckdb-${randomUUID()}`);
  await mkdir(join(dir, 'spill'), { recursive: true });
  const settings: Record<string, string> = {
    memory_limit: options.memoryLimit ?? '256MB',
    temp_directory: join(dir, 'spill'),
    preserve_insertion_order: 'true',
  };
  if (options.threads !== undefined) settings.threads = String(options.threads);
  let db: DuckDBDatabase;
  try {
    db = await openDuckDB(join(dir, 'work.duckdb'), settings);
  } catch (err) {
    await removeQuietly(dir);
    throw err;
  }
  let disposed = false;
  return {
    db,
    dir,
    async dispose() {
      if (disposed) return;
      disposed = true;
      try {
        db.close();
      } finally {
        await removeQuietly(dir);
      }
    },
  };
}
