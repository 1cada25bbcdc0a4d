import { removeQuietly, writeFileAtomic } from '../../core/atomic-file.js';
import type { SigningKey } from '../signing.js';
import type { Manifest } from './manifest-schema.js';
import { envelopePathFor, manifestDigest, signManifest } from './sign-manifest.js';

export interface WrittenManifest {
  path: string;
  /** SHA-256 of the manifest's canonical form. */
  sha256: string;
  /** The DSSE envelope beside it, when signed. */
  envelopePath?: string;
}

/**
 * Writes `manifest.json` (pretty-printed, atomically) and, with a key, `manifest.dsse.json`
 * beside it. An envelope left by an earlier run is removed first so it never sits beside a
 * manifest it does not sign.
 */
export async function writeManifest(
  path: string,
  manifest: Manifest,
  options: { signingKey?: SigningKey | undefined; runId?: string } = {},
): Promise<WrittenManifest> {
  const envelopePath = envelopePathFor(path);
  await removeQuietly(envelopePath);
  await writeFileAtomic(path, `${JSON.stringify(manifest, null, 2)}\n`, options.runId);
  const sha256 = manifestDigest(manifest);
  if (!options.signingKey) return { path, sha256 };
  const envelope = signManifest(manifest, options.signingKey);
  await writeFileAtomic(envelopePath, `${JSON.stringify(envelope, null, 2)}\n`, options.runId);
  return { path, sha256, envelopePath };
}
