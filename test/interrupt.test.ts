import { access, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoProject, runCli } from './cli.js';

/** Waits until a staged (hidden) file appears in `dir`, i.e. the run is writing. */
async function waitForStaging(dir: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const names = await readdir(dir).catch(() => [] as string[]);
    if (names.some((n) => n.startsWith('.') && !n.endsWith('.lock'))) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the run never started writing');
}

async function datasetFiles(dir: string): Promise<string[]> {
  return (await readdir(join(dir, 'out/demo')).catch(() => [] as string[])).filter((n) => !n.startsWith('.'));
}

describe('an interrupted run', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await demoProject();
    // A bigger fixture so the run is still writing when it is interrupted.
    const config = (await readFile(join(dir, 'sluice.yaml'), 'utf8')).replace('rows: 10000', 'rows: 200000');
    await writeFile(join(dir, 'sluice.yaml'), config);
    const generated = await runCli(['fixtures', 'generate', '--rows', '200000', '--out', '.sluice/demo'], {
      cwd: dir,
    });
    expect(generated.code, generated.stderr).toBe(0);
  }, 300_000);

  it('stops on Ctrl-C with exit 130, leaving no dataset or manifest, and the next run succeeds', async () => {
    const result = await runCli(['run', 'pipelines/demo.yaml'], {
      cwd: dir,
      onSpawn: (child) => {
        waitForStaging(join(dir, 'out/demo')).then(() => child.kill('SIGINT'));
      },
    });
    expect(result.code, result.stderr).toBe(130);
    expect(result.stderr).toContain('SIGINT received');
    expect(await datasetFiles(dir)).toEqual([]);
    expect((await readdir(join(dir, 'out/demo'))).filter((n) => n.endsWith('.partial'))).toEqual([]);

    const again = await runCli(['run', 'pipelines/demo.yaml'], { cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    expect((await datasetFiles(dir)).sort()).toEqual([
      'manifest.dsse.json',
      'manifest.json',
      'tickets.parquet',
    ]);
  }, 300_000);

  it('killed with SIGKILL leaves only hidden staged files, and the next run cleans them and succeeds', async () => {
    const { rm } = await import('node:fs/promises');
    await rm(join(dir, 'out'), { recursive: true, force: true });
    const killed = await runCli(['run', 'pipelines/demo.yaml'], {
      cwd: dir,
      onSpawn: (child) => {
        waitForStaging(join(dir, 'out/demo')).then(() => child.kill('SIGKILL'));
      },
    });
    expect(killed.signal).toBe('SIGKILL');
    expect(await datasetFiles(dir)).toEqual([]);

    const again = await runCli(['run', 'pipelines/demo.yaml'], { cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    const names = await readdir(join(dir, 'out/demo'));
    expect(names.sort()).toEqual(['manifest.dsse.json', 'manifest.json', 'tickets.parquet']);
    await expect(access(join(dir, 'out/demo/.manifest.json.lock'))).rejects.toThrow();
  }, 300_000);
});
