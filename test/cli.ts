import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CLI = join(ROOT, 'dist/src/cli/main.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `pipeline` CLI (npm test builds it first). */
export function runCli(
  args: string[],
  options: {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    /** Written to the command's stdin (else stdin is closed). */
    input?: string;
    onSpawn?: (child: ReturnType<typeof spawn>) => void;
  } = {},
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, ...options.env },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
    options.onSpawn?.(child);
  });
}

/** A throwaway copy of the demo project (config, pipeline, demo key) in a temp directory. */
export async function demoProject(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-demo-'));
  await mkdir(join(dir, 'pipelines'), { recursive: true });
  await mkdir(join(dir, 'fixtures/keys'), { recursive: true });
  await cp(join(ROOT, 'sluice.yaml'), join(dir, 'sluice.yaml'));
  await cp(join(ROOT, 'pipelines/demo.yaml'), join(dir, 'pipelines/demo.yaml'));
  for (const key of ['demo.key', 'manifest-demo.pem', 'manifest-demo.pub.pem']) {
    await cp(join(ROOT, 'fixtures/keys', key), join(dir, 'fixtures/keys', key));
  }
  await cp(join(ROOT, 'fixtures/policies'), join(dir, 'fixtures/policies'), { recursive: true });
  return dir;
}
