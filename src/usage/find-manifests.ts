import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SluiceError } from '../core/errors.js';

/** The manifest file name `pipeline run` writes beside a dataset. */
export const MANIFEST_FILE_NAME = 'manifest.json';

/**
 * Manifest files named by `paths`: a file is taken as is; a directory is searched recursively for
 * `manifest.json` (hidden directories and `node_modules` are skipped). Sorted, without duplicates.
 */
export async function findManifests(paths: string[]): Promise<string[]> {
  const found = new Set<string>();
  for (const path of paths) {
    const info = await stat(path).catch(() => null);
    if (!info) {
      throw new SluiceError(
        'CONFIG_NOT_FOUND',
        `\`${path}\` does not exist. Give a \`${MANIFEST_FILE_NAME}\` or a directory that holds manifests.`,
        { context: { path } },
      );
    }
    if (info.isFile()) found.add(resolve(path));
    else if (info.isDirectory()) for (const file of await walk(resolve(path))) found.add(file);
  }
  return [...found].sort();
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else if (entry.isFile() && entry.name === MANIFEST_FILE_NAME) out.push(path);
  }
  return out;
}
