import { access } from 'node:fs/promises';
import { SluiceError } from '../core/errors.js';
import type { KeyRing } from '../core/key-ring.js';
import { type ColumnRef, formatColumnRef } from './column-ref.js';
import { columnUsage } from './column-usage.js';
import { planSubjectSearch, type SubjectPlan, sha256Hex } from './subject-token.js';
import type { DatasetSearch, UsageStore } from './usage-store.js';

/** Characters of the value's SHA-256 shown, so an operator can correlate requests without the value. */
export const VALUE_DIGEST_PREFIX = 12;

/** The verdict for one dataset column that derives from the subject's source column. */
export interface SubjectHit {
  run_id: string;
  pipeline: string;
  manifest: string;
  output: string;
  output_column: string;
  format: string;
  /** Absolute path of the dataset output. */
  path: string;
  digest: string;
  /** `token`: searched for the recomputed token; `raw`: unmasked, compared by hash in memory. */
  method: SubjectPlan['method'];
  mask: string | null;
  key_id: string | null;
  /**
   * `found` / `not_found`; `not_identifiable` (redacted, nulled, ...); `unsearchable` (format
   * not readable, or the value cannot be tokenized that way); `missing` (files are gone).
   */
  status: 'found' | 'not_found' | 'not_identifiable' | 'unsearchable' | 'missing';
  /** Rows that contain the subject. */
  rows: number;
  reason?: string;
}

export interface SubjectSearchResult {
  column: string;
  /** First characters of the SHA-256 of the value: the value itself is never returned. */
  value_sha256_prefix: string;
  datasets: SubjectHit[];
}

/**
 * For an erasure request: which indexed datasets contain the data subject whose `ref` column
 * holds `value`. Each dataset column that derives from `ref` is searched for the token its mask
 * gives the value (same key id and parameters), or for the value itself (by hash, in memory) when
 * unmasked. The value is never stored, logged or returned.
 */
export async function findSubject(
  store: UsageStore,
  search: DatasetSearch,
  keys: KeyRing,
  ref: ColumnRef,
  value: string,
): Promise<SubjectSearchResult> {
  if (value.length === 0) {
    throw new SluiceError(
      'USAGE',
      'The value to search for is empty. Pass it with `--value-file` or on stdin.',
    );
  }
  const usage = await columnUsage(store, ref);
  const datasets: SubjectHit[] = [];
  const plans = new Map<string, Promise<SubjectPlan>>();
  for (const { run, landed_in } of usage.runs) {
    for (const landing of landed_in) {
      const base = {
        run_id: run.run_id,
        pipeline: run.pipeline,
        manifest: run.manifest_path,
        output: landing.output,
        output_column: landing.output_column,
        format: landing.format,
        path: landing.path,
        digest: landing.digest,
        mask: landing.masks.map((m) => m.mask).join('+') || null,
        key_id: landing.masks.find((m) => m.key_id !== null)?.key_id ?? null,
        rows: 0,
      };
      const planKey = JSON.stringify([landing.source_column, landing.masks]);
      let pending = plans.get(planKey);
      if (!pending) {
        pending = planSubjectSearch(landing.masks, landing.source_column, value, keys);
        plans.set(planKey, pending);
      }
      let plan: SubjectPlan;
      try {
        plan = await pending;
      } catch (cause) {
        if (cause instanceof SluiceError && cause.code === 'KEY_INVALID') throw cause;
        datasets.push({
          ...base,
          method: 'token',
          status: 'unsearchable',
          reason: cause instanceof Error ? cause.message : 'the token cannot be computed',
        });
        continue;
      }
      if (plan.method === 'not_identifiable') {
        datasets.push({ ...base, method: plan.method, status: 'not_identifiable', reason: plan.reason });
        continue;
      }
      if (plan.method === 'unsupported') {
        datasets.push({ ...base, method: plan.method, status: 'unsearchable', reason: plan.reason });
        continue;
      }
      const outputs = await store.outputs([run.entry_id]);
      const files = outputs.find((o) => o.output === landing.output)?.files ?? [];
      if (!search.formats.includes(landing.format)) {
        datasets.push({
          ...base,
          method: plan.method,
          status: 'unsearchable',
          reason: `format \`${landing.format}\` cannot be searched (searchable: ${search.formats.join(', ')})`,
        });
        continue;
      }
      const present = await Promise.all(
        files.map((f) =>
          access(f).then(
            () => true,
            () => false,
          ),
        ),
      );
      if (files.length === 0 || present.includes(false)) {
        datasets.push({
          ...base,
          method: plan.method,
          status: 'missing',
          reason: 'dataset files are missing',
        });
        continue;
      }
      const rows = await search.count(files, landing.format, landing.output_column, plan.match);
      if (rows === 0 && landing.derived) {
        // An expression over the value (e.g. `upper(email)`) hides it from an exact search.
        datasets.push({
          ...base,
          method: plan.method,
          status: 'unsearchable',
          reason:
            'the column is computed by an expression over the source column; an exact search cannot rule the subject out',
        });
        continue;
      }
      datasets.push({ ...base, method: plan.method, status: rows > 0 ? 'found' : 'not_found', rows });
    }
  }
  return {
    column: formatColumnRef(ref),
    value_sha256_prefix: sha256Hex(value).slice(0, VALUE_DIGEST_PREFIX),
    datasets,
  };
}
