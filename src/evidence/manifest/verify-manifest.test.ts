import { createPublicKey } from 'node:crypto';
import { appendFile, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../canonical-json.js';
import { dsseVerify, generateSigningKeyPair, signingKeyFrom } from '../signing.js';
import { buildSampleManifest } from './manifest-test-fixture.js';
import { envelopePathFor, MANIFEST_PREDICATE_TYPE, manifestDigest, signManifest } from './sign-manifest.js';
import { verifyManifest } from './verify-manifest.js';
import { writeManifest } from './write-manifest.js';

const pair = generateSigningKeyPair();
const key = signingKeyFrom(pair.privateKeyPem);
const publicKeys = [createPublicKey(pair.publicKeyPem)];

async function signedSample() {
  const sample = await buildSampleManifest();
  await writeManifest(sample.manifestPath, sample.manifest, { signingKey: key });
  return sample;
}

describe('signManifest', () => {
  it('wraps an in-toto statement whose subjects are the dataset files and whose predicate is the manifest', async () => {
    const { manifest } = await buildSampleManifest();
    const envelope = signManifest(manifest, key);
    const verdict = dsseVerify(envelope, publicKeys);
    expect(verdict.ok).toBe(true);
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8'));
    expect(statement.predicateType).toBe(MANIFEST_PREDICATE_TYPE);
    expect(statement.subject).toEqual(
      manifest.outputs[0]?.files.map((f) => ({ name: f.path, digest: { sha256: f.sha256 } })),
    );
    expect(canonicalJson(statement.predicate)).toBe(canonicalJson(manifest));
    expect(manifestDigest(manifest)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('verifyManifest', () => {
  it('reports an untouched signed dataset as intact', async () => {
    const { manifestPath } = await signedSample();
    const result = await verifyManifest(manifestPath, { publicKeys });
    expect(result.problems).toEqual([]);
    expect(result).toMatchObject({ ok: true, signature: 'valid', files: 2 });
  });

  it('names a dataset file whose bytes changed', async () => {
    const { manifestPath, dir } = await signedSample();
    await appendFile(join(dir, 'tickets', 'part-1.parquet'), 'x');
    const result = await verifyManifest(manifestPath, { publicKeys });
    expect(result.ok).toBe(false);
    expect(result.problems).toMatchObject([{ kind: 'file_changed', path: 'tickets/part-1.parquet' }]);
  });

  it('names a missing file and an extra file in the dataset directory', async () => {
    const { manifestPath, dir } = await signedSample();
    await rm(join(dir, 'tickets', 'part-0.parquet'));
    await writeFile(join(dir, 'tickets', 'part-9.parquet'), 'smuggled');
    const result = await verifyManifest(manifestPath, { publicKeys });
    expect(result.problems.map((p) => [p.kind, p.path])).toEqual([
      ['file_missing', 'tickets/part-0.parquet'],
      ['file_extra', 'tickets/part-9.parquet'],
    ]);
  });

  it('accepts an extra file the caller allows', async () => {
    const { manifestPath, dir } = await signedSample();
    await writeFile(join(dir, 'tickets', 'README.md'), 'card');
    expect((await verifyManifest(manifestPath, { publicKeys, allowExtra: ['tickets/README.md'] })).ok).toBe(
      true,
    );
  });

  it('detects a manifest edited after signing', async () => {
    const { manifestPath } = await signedSample();
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
    manifest.purpose = 'marketing';
    await writeFile(manifestPath, JSON.stringify(manifest));
    const result = await verifyManifest(manifestPath, { publicKeys });
    expect(result.problems.map((p) => p.kind)).toEqual(['manifest_edited']);
  });

  it('detects an edited file digest even without a signature', async () => {
    const { manifestPath, manifest } = await buildSampleManifest();
    const file = manifest.outputs[0]?.files[0];
    if (file) file.sha256 = '0'.repeat(64);
    await writeManifest(manifestPath, manifest);
    const result = await verifyManifest(manifestPath);
    expect(result.signature).toBe('absent');
    expect(result.problems.map((p) => p.kind)).toEqual([
      'file_changed',
      'digest_mismatch',
      'digest_mismatch',
    ]);
  });

  it('rejects a signature by another key and a missing signature when a key is required', async () => {
    const { manifestPath } = await signedSample();
    const other = [createPublicKey(generateSigningKeyPair().publicKeyPem)];
    const bad = await verifyManifest(manifestPath, { publicKeys: other });
    expect(bad).toMatchObject({ ok: false, signature: 'invalid' });
    expect(bad.problems[0]?.kind).toBe('signature_invalid');
    await rm(envelopePathFor(manifestPath));
    const missing = await verifyManifest(manifestPath, { publicKeys });
    expect(missing.problems.map((p) => p.kind)).toEqual(['signature_missing']);
  });

  it('reports a manifest that does not follow the schema', async () => {
    const { manifestPath, manifest } = await buildSampleManifest();
    await writeFile(manifestPath, JSON.stringify({ ...manifest, manifest_version: '0.1' }));
    const result = await verifyManifest(manifestPath);
    expect(result.problems[0]).toMatchObject({ kind: 'schema' });
    expect(result.problems[0]?.message).toContain('manifest_version');
  });
});
