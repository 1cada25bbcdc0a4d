import { mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { removeQuietly, STAGED_SUFFIX } from '../core/atomic-file.js';
import { SluiceError } from '../core/errors.js';

/**
 * One run at a time per dataset: a lock file beside the manifest holds the owner's pid. A lock
 * left by a process that no longer exists (killed with SIGKILL, power loss) is taken over, and
 * the staged `.partial` files that run left behind are removed.
 */
export async function acquireRunLock(
  manifestPath: string,
  stagedDirs: string[],
): Promise<() => Promise<void>> {
  const lockPath = join(dirname(manifestPath), `.${basename(manifestPath)}.lock`);
  await mkdir(dirname(lockPath), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockPath, 'wx');
      try {
        await handle.writeFile(String(process.pid));
        await handle.close();
      } catch (err) {
        // Not taken after all (e.g. a full disk): leave no lock without an owner behind.
        await handle.close().catch(() => undefined);
        await removeQuietly(lockPath);
        throw err;
      }
      return () => removeQuietly(lockPath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number.parseInt(await readFile(lockPath, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) {
        throw new SluiceError(
          'SOURCE_UNAVAILABLE',
          `Another run (pid ${owner}) is writing this dataset (lock \`${lockPath}\`). Wait for it to finish, then run again.`,
          { context: { lock: lockPath, pid: owner } },
        );
      }
      await removeQuietly(lockPath);
      await removeStaleStaged(stagedDirs);
    }
  }
  throw new SluiceError('SOURCE_UNAVAILABLE', `Could not take the run lock \`${lockPath}\`. Try again.`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function removeStaleStaged(dirs: string[]): Promise<void> {
  for (const dir of new Set(dirs)) {
    const names = await readdir(dir).catch(() => [] as string[]);
    await Promise.all(
      names
        .filter((n) => n.startsWith('.') && n.endsWith(STAGED_SUFFIX))
        .map((n) => rm(join(dir, n), { force: true, recursive: true })),
    );
  }
}
