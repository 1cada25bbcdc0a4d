import type { FileHandle } from 'node:fs/promises';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

// A disk that fills up after the lock file was created: the write of the owner's pid fails.
let failWrites = false;
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...real,
    open: async (...args: Parameters<typeof real.open>): Promise<FileHandle> => {
      const handle = await real.open(...args);
      if (!failWrites) return handle;
      return new Proxy(handle, {
        get(target, key) {
          if (key === 'write' || key === 'writeFile')
            return () =>
              Promise.reject(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }));
          const value = Reflect.get(target, key);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    },
  };
});

const { withFileLock } = await import('./file-lock.js');
const { acquireRunLock } = await import('../engine/run-lock.js');

afterEach(() => {
  failWrites = false;
});

describe('lock files when the owner cannot be written', () => {
  it('withFileLock fails with the write error and leaves no lock behind', async () => {
    const dir = await fsp.mkdtemp(join(tmpdir(), 'sluice-lock-'));
    const file = join(dir, 'audit.jsonl');
    failWrites = true;
    await expect(
      withFileLock(file, { timeoutMs: 1000, staleMs: 60_000, what: 'The audit log' }, async () => 'ran'),
    ).rejects.toMatchObject({ code: 'ENOSPC' });
    failWrites = false;
    await expect(fsp.stat(`${file}.lock`)).rejects.toMatchObject({ code: 'ENOENT' });
    // The next caller takes the lock at once.
    await expect(
      withFileLock(file, { timeoutMs: 1000, staleMs: 60_000, what: 'The audit log' }, async () => 'ran'),
    ).resolves.toBe('ran');
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('acquireRunLock fails with the write error and leaves no lock behind', async () => {
    const dir = await fsp.mkdtemp(join(tmpdir(), 'sluice-run-lock-'));
    const manifest = join(dir, 'manifest.json');
    failWrites = true;
    await expect(acquireRunLock(manifest, [dir])).rejects.toMatchObject({ code: 'ENOSPC' });
    failWrites = false;
    expect((await fsp.readdir(dir)).filter((f) => f.endsWith('.lock'))).toEqual([]);
    const release = await acquireRunLock(manifest, [dir]);
    await release();
    await fsp.rm(dir, { recursive: true, force: true });
  });
});
