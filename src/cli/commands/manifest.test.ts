import { createPublicKey } from 'node:crypto';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildSampleManifest } from '../../evidence/manifest/manifest-test-fixture.js';
import { writeManifest } from '../../evidence/manifest/write-manifest.js';
import { generateSigningKeyPair, signingKeyFrom } from '../../evidence/signing.js';
import { manifestCommand } from './manifest.js';

let stdout = '';
let stderr = '';

beforeEach(() => {
  stdout = '';
  stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  process.exitCode = undefined;
});

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

async function run(...args: string[]): Promise<void> {
  await manifestCommand().parseAsync(args, { from: 'user' });
}

async function signedDataset() {
  const pair = generateSigningKeyPair();
  const sample = await buildSampleManifest();
  await writeManifest(sample.manifestPath, sample.manifest, {
    signingKey: signingKeyFrom(pair.privateKeyPem),
  });
  const keyFile = join(sample.dir, 'manifest.pub.pem');
  await writeFile(keyFile, pair.publicKeyPem);
  expect(createPublicKey(pair.publicKeyPem).asymmetricKeyType).toBe('ed25519');
  return { ...sample, keyFile };
}

describe('pipeline manifest verify', () => {
  it('exits 0 and says the dataset is intact with a valid signature', async () => {
    const { manifestPath, keyFile } = await signedDataset();
    await run('verify', manifestPath, '--public-key', keyFile, '--allow-extra', 'manifest.pub.pem');
    expect(process.exitCode).toBeUndefined();
    expect(stdout).toMatch(/is intact: 2 file\(s\) match, signature valid \(key [0-9a-f]{64}\)/);
  });

  it('exits 5 and names a tampered file', async () => {
    const { manifestPath, keyFile, dir } = await signedDataset();
    await appendFile(join(dir, 'tickets', 'part-0.parquet'), 'tampered');
    await run('verify', manifestPath, '--public-key', keyFile, '--allow-extra', 'manifest.pub.pem', '--json');
    expect(process.exitCode).toBe(5);
    const result = JSON.parse(stdout);
    expect(result.problems).toMatchObject([{ kind: 'file_changed', path: 'tickets/part-0.parquet' }]);
  });

  it('warns on stderr when the signature is present but no key was given to check it', async () => {
    const { manifestPath } = await signedDataset();
    await run('verify', manifestPath, '--allow-extra', 'manifest.pub.pem');
    expect(process.exitCode).toBeUndefined();
    expect(stderr).toContain('--public-key');
  });
});

describe('pipeline manifest export', () => {
  it('prints OpenLineage events as JSON lines', async () => {
    const { manifestPath, manifest } = await buildSampleManifest();
    await writeManifest(manifestPath, manifest);
    await run('export', manifestPath, '--format', 'openlineage');
    const lines = stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((e) => e.eventType)).toEqual(['START', 'COMPLETE']);
  });

  it('writes a dataset card to --out with the manifest linked relative to it', async () => {
    const { manifestPath, manifest, dir } = await buildSampleManifest();
    await writeManifest(manifestPath, manifest);
    const out = join(dir, 'card', 'README.md');
    await run('export', manifestPath, '--format', 'datacard', '--out', out);
    expect(await readFile(out, 'utf8')).toContain('uri: ../manifest.json');
  });

  it('refuses a manifest that does not follow the schema with exit 5', async () => {
    const { manifestPath } = await buildSampleManifest();
    await writeFile(manifestPath, JSON.stringify({ manifest_version: '0.1' }));
    await expect(run('export', manifestPath, '--format', 'croissant')).rejects.toMatchObject({
      code: 'INTEGRITY_FAILED',
    });
  });
});

describe('pipeline manifest attach', () => {
  it('attaches once and reports the second attach as a no-op', async () => {
    const { manifestPath, manifest, dir } = await buildSampleManifest();
    await writeManifest(manifestPath, manifest);
    const card = join(dir, 'model', 'README.md');
    await mkdir(join(dir, 'model'));
    await writeFile(card, '---\nlicense: mit\n---\n# My model\n');
    await run('attach', manifestPath, '--model-card', card);
    const first = await readFile(card, 'utf8');
    expect(first).toContain('uri: ../manifest.json');
    expect(stdout).toContain('Attached');
    await run('attach', manifestPath, '--model-card', card, '--json');
    expect(await readFile(card, 'utf8')).toBe(first);
    expect(JSON.parse(stdout.split('\n').filter(Boolean).at(-1) ?? '{}')).toMatchObject({ changed: false });
  });
});

describe('pipeline manifest merge', () => {
  it('merges verified shard manifests into a manifest that verifies over all shard files', async () => {
    const { mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const root = await mkdtemp(join(tmpdir(), 'sluice-merge-'));
    const shards: string[] = [];
    for (const index of [0, 1]) {
      const { manifest, manifestPath } = await buildSampleManifest({ dir: join(root, `shard-${index}`) });
      const shard = { ...manifest, run: { ...manifest.run, id: `run-${index}`, shard: { index, count: 2 } } };
      await writeManifest(manifestPath, shard);
      shards.push(manifestPath);
    }
    const merged = join(root, 'manifest.json');
    await run('merge', ...shards, '--out', merged, '--json');
    expect(JSON.parse(stdout)).toMatchObject({ shards: 2, files: 4 });
    stdout = '';
    await run(
      'verify',
      merged,
      '--allow-extra',
      'shard-0/manifest.json',
      '--allow-extra',
      'shard-1/manifest.json',
    );
    expect(process.exitCode).toBeUndefined();
    expect(stdout).toContain('is intact: 4 file(s) match');
  });

  it('refuses with exit 5 when a shard file was changed', async () => {
    const { manifest, manifestPath, dir } = await buildSampleManifest();
    await writeManifest(manifestPath, {
      ...manifest,
      run: { ...manifest.run, shard: { index: 0, count: 1 } },
    });
    await appendFile(join(dir, 'tickets', 'part-1.parquet'), 'x');
    await expect(run('merge', manifestPath, '--out', join(dir, 'merged.json'))).rejects.toMatchObject({
      code: 'INTEGRITY_FAILED',
    });
  });
});
