import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Temp-file-and-rename helpers. A staged file lives beside its final path (same filesystem, so
 * the rename is atomic) under a hidden name ending in `.partial`, which no reader mistakes for a
 * finished dataset file.
 */
export function stagedPathFor(finalPath: string, runId: string): string {
  return join(dirname(finalPath), `.${basename(finalPath)}.${runId}.partial`);
}

export const STAGED_SUFFIX = '.partial';

export async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function fsyncDir(dir: string): Promise<void> {
  try {
    await fsyncPath(dir);
  } catch {
    // Some filesystems do not allow fsync on directories; the rename itself is still atomic.
  }
}

/** fsyncs `tempPath`, renames it to `finalPath` and fsyncs the directory. */
export async function commitFile(tempPath: string, finalPath: string): Promise<void> {
  await fsyncPath(tempPath);
  await rename(tempPath, finalPath);
  await fsyncDir(dirname(finalPath));
}

/** Writes `data` to `path` atomically: a reader sees the old file or the whole new one. */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  runId = `${process.pid}`,
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = stagedPathFor(path, runId);
  try {
    await writeFile(temp, data);
    await commitFile(temp, path);
  } catch (err) {
    await removeQuietly(temp);
    throw err;
  }
}

export async function removeQuietly(path: string): Promise<void> {
  await rm(path, { force: true, recursive: true }).catch(() => undefined);
}
