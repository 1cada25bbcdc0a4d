import { canonicalHash, canonicalJson } from '../canonical-json.js';
import {
  type DsseEnvelope,
  dsseSign,
  IN_TOTO_PAYLOAD_TYPE,
  type InTotoStatement,
  inTotoStatement,
  type SigningKey,
} from '../signing.js';
import type { Manifest } from './manifest-schema.js';

/**
 * The in-toto predicate type of a Sluice manifest. A URN rather than a URL: in-toto asks for a
 * URI, and Sluice owns no domain to publish under; the format is defined by
 * `docs/schema/manifest.schema.json` of the same major version.
 */
export const MANIFEST_PREDICATE_TYPE = 'urn:sluice:manifest:v1';

/** The manifest's digest: SHA-256 (hex) of its RFC 8785 canonical form. */
export function manifestDigest(manifest: Manifest): string {
  return canonicalHash(manifest);
}

/** An in-toto Statement v1 whose subjects are the dataset files and whose predicate is the manifest. */
export function manifestStatement(manifest: Manifest): InTotoStatement<Manifest> {
  const subjects = manifest.outputs
    .flatMap((o) => o.files)
    .map((f) => ({ name: f.path, digest: { sha256: f.sha256 } }));
  return inTotoStatement(subjects, MANIFEST_PREDICATE_TYPE, manifest);
}

/**
 * Signs a manifest with Ed25519: a DSSE envelope (payload type `application/vnd.in-toto+json`)
 * around the RFC 8785 form of {@link manifestStatement}.
 *
 * @example const envelope = signManifest(manifest, await loadSigningKey({ file: 'keys/manifest.pem' }));
 */
export function signManifest(manifest: Manifest, signingKey: SigningKey): DsseEnvelope {
  const payload = Buffer.from(canonicalJson(manifestStatement(manifest)), 'utf8');
  return dsseSign(payload, IN_TOTO_PAYLOAD_TYPE, signingKey);
}

/** Where the envelope of `manifest.json` lives: `manifest.dsse.json` beside it. */
export function envelopePathFor(manifestPath: string): string {
  return manifestPath.endsWith('.json')
    ? `${manifestPath.slice(0, -'.json'.length)}.dsse.json`
    : `${manifestPath}.dsse.json`;
}
