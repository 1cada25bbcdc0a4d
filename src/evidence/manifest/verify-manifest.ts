import type { KeyObject } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileSha256 } from '../../core/file-sha256.js';
import { canonicalHash } from '../canonical-json.js';
import { dsseVerify, IN_TOTO_PAYLOAD_TYPE, IN_TOTO_STATEMENT_TYPE } from '../signing.js';
import { datasetDigest } from './dataset-digest.js';
import { type Manifest, manifestSchema } from './manifest-schema.js';
import { envelopePathFor, MANIFEST_PREDICATE_TYPE } from './sign-manifest.js';

export type ManifestProblemKind =
  | 'unreadable'
  | 'schema'
  | 'file_missing'
  | 'file_changed'
  | 'file_extra'
  | 'digest_mismatch'
  | 'signature_missing'
  | 'signature_invalid'
  | 'manifest_edited'
  | 'subject_mismatch';

export interface ManifestProblem {
  kind: ManifestProblemKind;
  /** The dataset file concerned, relative to the manifest. */
  path?: string;
  message: string;
}

export interface ManifestVerification {
  ok: boolean;
  manifest: string;
  /** Files the manifest lists (checked when the manifest parses). */
  files: number;
  /** `unchecked`: an envelope is present but no public key was given to check it against. */
  signature: 'valid' | 'invalid' | 'unchecked' | 'absent';
  keyIds: string[];
  /** SHA-256 of the manifest's canonical form, when it parses. */
  manifestSha256?: string;
  problems: ManifestProblem[];
}

export interface VerifyManifestOptions {
  /** Trusted public keys; when given, a valid signature by one of them is required. */
  publicKeys?: KeyObject[];
  /** File names (relative to the manifest) allowed in the dataset directories besides the dataset. */
  allowExtra?: string[];
  /** Default true. False for shard manifests sharing a directory with the other shards' files. */
  checkExtraFiles?: boolean;
}

/**
 * Checks a manifest against the files beside it: schema, every file's size and SHA-256, files in
 * the dataset directories that the manifest does not list, the digests it states, and its DSSE
 * signature. Never throws for a verification failure; `ok` is false and `problems` name each one.
 */
export async function verifyManifest(
  manifestPath: string,
  options: VerifyManifestOptions = {},
): Promise<ManifestVerification> {
  const result: ManifestVerification = {
    ok: false,
    manifest: manifestPath,
    files: 0,
    signature: 'absent',
    keyIds: [],
    problems: [],
  };
  const problems = result.problems;
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(manifestPath, 'utf8'));
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    problems.push({
      kind: 'unreadable',
      message: code ? `cannot be read (${code})` : 'is not valid JSON',
    });
    return result;
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues.slice(0, 20)) {
      problems.push({ kind: 'schema', message: `\`${issue.path.join('.') || '(root)'}\`: ${issue.message}` });
    }
    return result;
  }
  const manifest = parsed.data;
  result.manifestSha256 = canonicalHash(raw);
  const dir = dirname(resolve(manifestPath));
  const files = manifest.outputs.flatMap((o) => o.files);
  result.files = files.length;

  for (const file of files) {
    const digest = await fileSha256(join(dir, file.path)).catch(() => null);
    if (!digest) problems.push({ kind: 'file_missing', path: file.path, message: 'is missing' });
    else if (digest.sha256 !== file.sha256 || digest.bytes !== file.bytes) {
      problems.push({
        kind: 'file_changed',
        path: file.path,
        message: `was changed (${digest.bytes} bytes, sha256 ${digest.sha256}; the manifest says ${file.bytes} bytes, sha256 ${file.sha256})`,
      });
    }
  }
  const extras =
    options.checkExtraFiles === false
      ? []
      : await extraFiles(manifestPath, manifest, options.allowExtra ?? []);
  for (const extra of extras) {
    problems.push({ kind: 'file_extra', path: extra, message: 'is in the dataset but not in the manifest' });
  }
  for (const output of manifest.outputs) {
    if (datasetDigest(output.files) !== output.digest) {
      problems.push({
        kind: 'digest_mismatch',
        message: `output \`${output.name}\` digest does not match its file list (the manifest was edited)`,
      });
    }
  }
  if (datasetDigest(files) !== manifest.dataset.digest) {
    problems.push({
      kind: 'digest_mismatch',
      message: '`dataset.digest` does not match the file list (the manifest was edited)',
    });
  }
  await checkSignature(manifestPath, raw, manifest, options, result);
  result.ok = problems.length === 0;
  return result;
}

async function checkSignature(
  manifestPath: string,
  raw: unknown,
  manifest: Manifest,
  options: VerifyManifestOptions,
  result: ManifestVerification,
): Promise<void> {
  const envelopePath = envelopePathFor(manifestPath);
  const keys = options.publicKeys ?? [];
  let envelope: unknown;
  try {
    envelope = JSON.parse(await readFile(envelopePath, 'utf8'));
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') {
      result.signature = 'absent';
      if (keys.length > 0) {
        result.problems.push({
          kind: 'signature_missing',
          message: `has no signature: \`${basename(envelopePath)}\` is missing`,
        });
      }
      return;
    }
    result.signature = 'invalid';
    result.problems.push({
      kind: 'signature_invalid',
      message: `\`${basename(envelopePath)}\` is not valid JSON`,
    });
    return;
  }
  let payload: Buffer;
  if (keys.length > 0) {
    const verdict = dsseVerify(envelope, keys, { payloadTypes: [IN_TOTO_PAYLOAD_TYPE] });
    if (!verdict.ok) {
      result.signature = 'invalid';
      result.problems.push({ kind: 'signature_invalid', message: `bad signature: ${verdict.problem}` });
      return;
    }
    result.signature = 'valid';
    result.keyIds = verdict.keyIds;
    payload = Buffer.from(verdict.payload);
  } else {
    result.signature = 'unchecked';
    const p = (envelope as { payload?: unknown } | null)?.payload;
    payload = Buffer.from(typeof p === 'string' ? p : '', 'base64');
  }
  let statement: { _type?: unknown; predicateType?: unknown; predicate?: unknown; subject?: unknown };
  try {
    statement = JSON.parse(payload.toString('utf8'));
  } catch {
    result.signature = 'invalid';
    result.problems.push({ kind: 'signature_invalid', message: 'the signed payload is not JSON' });
    return;
  }
  if (statement._type !== IN_TOTO_STATEMENT_TYPE || statement.predicateType !== MANIFEST_PREDICATE_TYPE) {
    result.signature = 'invalid';
    result.problems.push({
      kind: 'signature_invalid',
      message: `the signed statement is not an in-toto Statement v1 with predicate type \`${MANIFEST_PREDICATE_TYPE}\``,
    });
    return;
  }
  if (canonicalHash(statement.predicate) !== canonicalHash(raw)) {
    result.problems.push({
      kind: 'manifest_edited',
      message: 'the manifest differs from the one that was signed (it was edited after signing)',
    });
  }
  const signed = new Set(
    (Array.isArray(statement.subject) ? statement.subject : []).map(
      (s: { name?: unknown; digest?: { sha256?: unknown } }) => JSON.stringify([s.name, s.digest?.sha256]),
    ),
  );
  const listed = new Set(
    manifest.outputs.flatMap((o) => o.files).map((f) => JSON.stringify([f.path, f.sha256])),
  );
  if (signed.size !== listed.size || [...listed].some((s) => !signed.has(s))) {
    result.problems.push({
      kind: 'subject_mismatch',
      message: 'the signed subjects differ from the files the manifest lists',
    });
  }
}

/** Files in the dataset directories that the manifest does not list (hidden files are ignored). */
async function extraFiles(manifestPath: string, manifest: Manifest, allowExtra: string[]): Promise<string[]> {
  const dir = dirname(resolve(manifestPath));
  const listed = new Set(manifest.outputs.flatMap((o) => o.files).map((f) => resolve(dir, f.path)));
  const ignored = new Set([
    resolve(manifestPath),
    resolve(envelopePathFor(manifestPath)),
    ...allowExtra.map((p) => resolve(dir, p)),
  ]);
  const roots = new Map<string, boolean>(); // directory → recursive
  for (const output of manifest.outputs) {
    const target = output.path === undefined ? undefined : resolve(dir, output.path);
    const isDir = target !== undefined && ((await stat(target).catch(() => null))?.isDirectory() ?? false);
    if (target !== undefined && isDir) roots.set(target, true);
    // A dataset directory's card names the manifest by digest, so the manifest cannot list it.
    if (target !== undefined && isDir) ignored.add(join(target, 'README.md'));
    for (const f of output.files) {
      const parent = dirname(resolve(dir, f.path));
      if (!roots.has(parent)) roots.set(parent, false);
    }
  }
  // The shard manifests a merged manifest was built from are evidence, not dataset files.
  const shardManifest = /^manifest-\d{5}-of-\d{5}(\.dsse)?\.json$/;
  const found = new Set<string>();
  for (const [root, recursive] of roots) {
    for (const file of await listFiles(root, recursive)) {
      if (shardManifest.test(basename(file))) continue;
      if (!listed.has(file) && !ignored.has(file)) found.add(relative(dir, file).split(sep).join('/'));
    }
  }
  return [...found].sort();
}

async function listFiles(root: string, recursive: boolean): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const path = join(root, entry.name);
    if (entry.isFile()) out.push(path);
    else if (entry.isDirectory() && recursive) out.push(...(await listFiles(path, true)));
  }
  return out;
}
