import { type ColumnRef, refMatches, relationMatches } from './column-ref.js';
import type { IndexedAuditRecord, IndexedRun } from './usage-records.js';
import type { UsageStore } from './usage-store.js';

/** A mask as the manifest records it: type, key id and parameters (never key material). */
export interface UsedMask {
  mask: string;
  key_id: string | null;
  params: Record<string, unknown>;
}

/** Where a column landed in one output of a run. */
export interface ColumnLanding {
  output: string;
  output_column: string;
  source: string;
  source_column: string;
  derived: boolean;
  masks: UsedMask[];
  format: string;
  /** Absolute path of the output. */
  path: string;
  digest: string;
}

/** One run that read a column. */
export interface RunUsage {
  run: IndexedRun;
  /** Sources whose query read the column (in any clause). */
  read_by_sources: string[];
  /** Outputs the column reached; empty when it was only read (e.g. in a filter). */
  landed_in: ColumnLanding[];
}

export interface ColumnUsage {
  column: ColumnRef;
  runs: RunUsage[];
  /** Policy decisions naming the column (including denied ones, which have no manifest). */
  decisions: IndexedAuditRecord[];
}

/** Which runs and datasets read `ref`, with which masks, by whom, and where the datasets are. */
export async function columnUsage(store: UsageStore, ref: ColumnRef): Promise<ColumnUsage> {
  const uses = (await store.columnUses(ref.column)).filter((u) =>
    refMatches(ref, u.connection, u.relation, u.upstream_column),
  );
  const reads = (await store.columnReads(ref.column)).filter((r) =>
    refMatches(ref, r.connection, r.relation, r.column),
  );
  const entryIds = [...new Set([...uses.map((u) => u.entry_id), ...reads.map((r) => r.entry_id)])];
  const runs = (await store.runs()).filter((r) => entryIds.includes(r.entry_id));
  const outputs = await store.outputs(entryIds);
  const result: RunUsage[] = runs.map((run) => {
    const landings = new Map<string, ColumnLanding>();
    for (const use of uses) {
      if (use.entry_id !== run.entry_id) continue;
      const key = JSON.stringify([use.output, use.output_column, use.source, use.source_column]);
      let landing = landings.get(key);
      if (!landing) {
        const output = outputs.find((o) => o.entry_id === run.entry_id && o.output === use.output);
        landing = {
          output: use.output,
          output_column: use.output_column,
          source: use.source,
          source_column: use.source_column,
          derived: use.derived,
          masks: [],
          format: output?.format ?? '',
          path: output?.path ?? '',
          digest: output?.digest ?? '',
        };
        landings.set(key, landing);
      }
      if (use.mask !== null) landing.masks.push({ mask: use.mask, key_id: use.key_id, params: use.params });
    }
    return {
      run,
      read_by_sources: [...new Set(reads.filter((r) => r.entry_id === run.entry_id).map((r) => r.source))],
      landed_in: [...landings.values()],
    };
  });
  const decisions = (await store.auditRecords(['decision'])).filter((d) => decisionNames(d, ref));
  return { column: ref, runs: result, decisions };
}

/** Whether a decision record names the column: `columns` holds `[schema.]table.column`. */
function decisionNames(record: IndexedAuditRecord, ref: ColumnRef): boolean {
  if (ref.connection !== undefined && record.connection?.toLowerCase() !== ref.connection.toLowerCase()) {
    return false;
  }
  return record.columns.some((qualified) => {
    const dot = qualified.lastIndexOf('.');
    if (dot < 0) return false;
    const column = qualified.slice(dot + 1);
    return (
      column.toLowerCase() === ref.column.toLowerCase() &&
      relationMatches(qualified.slice(0, dot), ref.relation)
    );
  });
}
