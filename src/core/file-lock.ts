import { mkdir, open, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SluiceError } from './errors.js';

export interface FileLockOptions {
  /** How long to wait for the lock before failing with `TIMEOUT`. */
  timeoutMs: number;
  /** A lock file older than this is taken to belong to a process that died, and removed. */
  staleMs: number;
  /** What is locked, for the timeout message (e.g. "The approvals file `x`"). */
  what: string;
}

/**
 * Runs `fn` while holding `<path>.lock`, a lock file created exclusively, so processes on one
 * machine (sharing a file system with working `O_EXCL`) take turns on the file at `path`.
 */
export async function withFileLock<T>(
  path: string,
  options: FileLockOptions,
  fn: () => Promise<T>,
): Promise<T> {
  await mkdir(dirname(path), { recursive: true });
  const lock = `${path}.lock`;
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    try {
      const handle = await open(lock, 'wx', 0o640);
      try {
        await handle.write(String(process.pid));
        await handle.close();
      } catch (err) {
        // Not taken after all (e.g. a full disk): leave no lock without an owner behind.
        await handle.close().catch(() => undefined);
        await unlink(lock).catch(() => undefined);
        throw err;
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const info = await stat(lock).catch(() => undefined);
      // A holder that died leaves its lock behind; every change under the lock takes milliseconds.
      if (info && Date.now() - info.mtimeMs > options.staleMs) await unlink(lock).catch(() => undefined);
      if (Date.now() > deadline) {
        throw new SluiceError(
          'TIMEOUT',
          `${options.what} stayed locked for ${options.timeoutMs} ms. If no other \`pipeline\` process is running, delete \`${lock}\`.`,
          { context: { file: lock } },
        );
      }
      await sleep(5 + Math.floor(Math.random() * 20));
    }
  }
  try {
    return await fn();
  } finally {
    await unlink(lock).catch(() => undefined);
  }
}
