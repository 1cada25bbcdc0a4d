import { access } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { SluiceError } from '../core/errors.js';

export const CONFIG_FILE_NAME = 'sluice.yaml';

/**
 * The config file: `--config`, else `SLUICE_CONFIG`, else the nearest `sluice.yaml` in the
 * pipeline's directory or one of its parents.
 */
export async function findConfig(
  pipelinePath: string,
  explicit: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  return findConfigFrom(dirname(resolve(pipelinePath)), explicit, env, `\`${pipelinePath}\``);
}

/** Like `findConfig`, searching upwards from `start` (e.g. the working directory). */
export async function findConfigFrom(
  start: string,
  explicit: string | undefined,
  env: NodeJS.ProcessEnv,
  what = `\`${start}\``,
): Promise<string> {
  const named = explicit ?? env['SLUICE_CONFIG'];
  if (named) return resolve(named);
  let dir = resolve(start);
  for (;;) {
    const candidate = join(dir, CONFIG_FILE_NAME);
    if (await exists(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new SluiceError(
    'CONFIG_NOT_FOUND',
    `No config file found for ${what}. Pass \`--config <file>\`, set \`SLUICE_CONFIG\`, or create \`${CONFIG_FILE_NAME}\` beside the pipeline or in a parent directory.`,
    { context: { start } },
  );
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
