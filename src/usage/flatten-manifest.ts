import { createHash } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import type { Manifest } from '../evidence/manifest/manifest-schema.js';
import type { ManifestVerification } from '../evidence/manifest/verify-manifest.js';
import type { ColumnRead, ColumnUse, IndexedManifest, IndexedOutput } from './usage-records.js';

/** The index rows of one manifest (paths made absolute from the manifest's directory). */
export function flattenManifest(
  manifest: Manifest,
  manifestPath: string,
  manifestSha256: string,
  verification: ManifestVerification,
  indexedAt: Date = new Date(),
): IndexedManifest {
  const dir = dirname(resolve(manifestPath));
  const runId = manifest.run.id;
  const entryId = usageEntryId(manifestPath);
  const id = manifest.identity;
  const sourceByName = new Map(manifest.sources.map((s) => [s.name, s]));

  const outputs: IndexedOutput[] = manifest.outputs.map((o) => ({
    entry_id: entryId,
    run_id: runId,
    output: o.name,
    format: o.format,
    path: o.path === undefined ? `${o.connection ?? ''}:${o.table ?? ''}` : resolve(dir, o.path),
    files: o.files.map((f) => resolve(dir, f.path)),
    digest: o.digest,
    rows: o.rows,
  }));

  const uses: ColumnUse[] = [];
  for (const output of manifest.outputs) {
    for (const column of output.columns) {
      for (const lineage of column.lineage) {
        const source = sourceByName.get(lineage.source);
        const sourceType = source?.schema.find((c) => c.name === lineage.column)?.type ?? null;
        const masks = column.masks.filter((m) => m.source === lineage.source && m.column === lineage.column);
        const upstream =
          lineage.upstream.length > 0
            ? lineage.upstream
            : // Unknown upstream: keep the source's own relations so the column can still be found.
              (source?.relations ?? []).map((relation) => ({
                connection: source?.connection.name ?? '',
                relation,
                column: lineage.column,
              }));
        for (const up of upstream) {
          const base = {
            entry_id: entryId,
            run_id: runId,
            output: output.name,
            output_column: column.name,
            source: lineage.source,
            source_column: lineage.column,
            source_type: sourceType,
            connection: up.connection,
            relation: up.relation,
            upstream_column: up.column,
            derived: column.derived,
            lineage_complete: column.lineage_complete,
            mask_count: masks.length,
          };
          if (masks.length === 0) {
            uses.push({ ...base, mask: null, key_id: null, params: {}, mask_index: 0 });
          }
          masks.forEach((m, i) => {
            uses.push({ ...base, mask: m.mask, key_id: m.key_id ?? null, params: m.params, mask_index: i });
          });
        }
      }
    }
  }

  const reads: ColumnRead[] = [];
  for (const source of manifest.sources) {
    for (const entry of source.columns_read ?? []) {
      const base = {
        entry_id: entryId,
        run_id: runId,
        source: source.name,
        connection: source.connection.name,
        relation: entry.relation,
      };
      if (entry.star) reads.push({ ...base, column: '*', star: true });
      for (const column of entry.columns) reads.push({ ...base, column, star: false });
    }
  }

  return {
    run: {
      entry_id: entryId,
      run_id: runId,
      manifest_path: resolve(manifestPath),
      manifest_sha256: manifestSha256,
      dataset_digest: manifest.dataset.digest,
      pipeline: manifest.run.pipeline.name,
      status: manifest.run.status,
      started_at: manifest.run.started_at,
      finished_at: manifest.run.finished_at,
      subject: id.subject,
      issuer: id.issuer,
      method: id.method,
      identity_verified: id.verified,
      on_behalf_of: id.on_behalf_of ?? null,
      agent_id: id.agent?.id ?? null,
      agent_model: id.agent?.model ?? null,
      purpose: manifest.purpose,
      policy_sha256: manifest.policy?.sha256 ?? null,
      audit_head: manifest.audit?.head ?? null,
      verification: verification.ok ? 'ok' : 'failed',
      verification_problems: verification.problems.map((p) => (p.path ? `${p.kind}:${p.path}` : p.kind)),
      signature: verification.signature,
      indexed_at: indexedAt.toISOString(),
    },
    outputs,
    uses,
    reads,
  };
}

/** The index key of the manifest at `manifestPath`: SHA-256 of its absolute path, 16 hex digits. */
export function usageEntryId(manifestPath: string): string {
  return createHash('sha256').update(resolve(manifestPath)).digest('hex').slice(0, 16);
}
