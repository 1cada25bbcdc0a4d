import { canonicalHash } from '../canonical-json.js';

/**
 * The digest of a set of files: SHA-256 of the RFC 8785 form of `[[path, sha256], ...]` sorted by
 * path (UTF-16 code units). It depends only on which files hold which bytes, not on their order in
 * the manifest, so shard manifests merge into the digest a single run would give.
 *
 * @example datasetDigest([{ path: 'a.parquet', sha256: 'ab…' }])
 */
export function datasetDigest(files: readonly { path: string; sha256: string }[]): string {
  const pairs = files.map((f) => [f.path, f.sha256] as const);
  pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return canonicalHash(pairs);
}
