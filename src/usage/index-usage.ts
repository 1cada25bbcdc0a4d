import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { readAuditRecords } from '../evidence/audit-query.js';
import { manifestSchema } from '../evidence/manifest/manifest-schema.js';
import { verifyManifest } from '../evidence/manifest/verify-manifest.js';
import { flattenAuditRecord } from './flatten-audit-record.js';
import { flattenManifest } from './flatten-manifest.js';
import type { IndexedAuditRecord } from './usage-records.js';
import type { UsageStore } from './usage-store.js';

/** What happened to one manifest. */
export interface IndexedManifestResult {
  manifest: string;
  run_id?: string;
  /** `skipped`: the manifest does not parse as a 1.x manifest, so nothing could be indexed. */
  action: 'added' | 'updated' | 'unchanged' | 'skipped';
  verification: 'ok' | 'failed';
  problems: string[];
}

export interface IndexUsageResult {
  manifests: IndexedManifestResult[];
  audit?: { log: string; read: number; added: number };
}

export interface IndexUsageOptions {
  audit?: string;
  /** Trusted manifest signing keys, passed to `verifyManifest`. */
  publicKeys?: KeyObject[];
  signal?: AbortSignal;
}

/**
 * Indexes manifests (each verified first; the verdict is stored with the run) and the decision,
 * extraction and run records of an audit log. Idempotent: a run whose manifest digest is already
 * indexed is left alone, a changed one replaces the old rows, audit records are keyed by hash.
 */
export async function indexUsage(
  store: UsageStore,
  manifests: string[],
  options: IndexUsageOptions = {},
): Promise<IndexUsageResult> {
  const results: IndexedManifestResult[] = [];
  for (const path of manifests) {
    options.signal?.throwIfAborted();
    const verification = await verifyManifest(path, {
      ...(options.publicKeys === undefined ? {} : { publicKeys: options.publicKeys }),
    });
    const problems = verification.problems.map((p) => (p.path ? `${p.kind}: ${p.path}` : `${p.kind}`));
    const verdict = verification.ok ? 'ok' : 'failed';
    if (verification.manifestSha256 === undefined) {
      results.push({ manifest: path, action: 'skipped', verification: verdict, problems });
      continue;
    }
    const parsed = manifestSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
    if (!parsed.success) {
      results.push({ manifest: path, action: 'skipped', verification: 'failed', problems });
      continue;
    }
    const entry = flattenManifest(parsed.data, path, verification.manifestSha256, verification);
    const existing = await store.entry(entry.run.entry_id);
    let action: IndexedManifestResult['action'];
    if (
      existing &&
      existing.manifest_sha256 === entry.run.manifest_sha256 &&
      existing.manifest_path === entry.run.manifest_path &&
      existing.verification === entry.run.verification
    ) {
      action = 'unchanged';
    } else {
      await store.replaceManifest(entry);
      action = existing ? 'updated' : 'added';
    }
    results.push({ manifest: path, run_id: entry.run.run_id, action, verification: verdict, problems });
  }
  const result: IndexUsageResult = { manifests: results };
  if (options.audit !== undefined) {
    let read = 0;
    let added = 0;
    let batch: IndexedAuditRecord[] = [];
    for await (const { record } of readAuditRecords(options.audit, options.signal)) {
      read++;
      const row = flattenAuditRecord(record, options.audit);
      if (row) batch.push(row);
      if (batch.length >= 500) {
        added += await store.addAuditRecords(batch);
        batch = [];
      }
    }
    if (batch.length > 0) added += await store.addAuditRecords(batch);
    result.audit = { log: options.audit, read, added };
  }
  return result;
}
