import type { ColumnUse, IndexedAuditRecord, IndexedRun } from './usage-records.js';
import type { UsageStore } from './usage-store.js';

/** One run of an identity with the base-table columns it read. */
export interface IdentityRun {
  run: IndexedRun;
  /** How the identity is named in the run: `subject`, `on_behalf_of` or `agent`. */
  as: string[];
  /** `connection.relation.column` of every base-table column that reached an output, with masks. */
  columns: { column: string; output: string; output_column: string; masks: string[] }[];
}

export interface IdentityUsage {
  subject: string;
  runs: IdentityRun[];
  /** Decision and extraction records of the identity (denied ones included). */
  audit: IndexedAuditRecord[];
}

/** What an identity (as subject, the human an agent acted for, or the agent id) read. */
export async function identityUsage(store: UsageStore, subject: string): Promise<IdentityUsage> {
  const runs = (await store.runs()).flatMap((run) => {
    const as = [
      run.subject === subject ? 'subject' : undefined,
      run.on_behalf_of === subject ? 'on_behalf_of' : undefined,
      run.agent_id === subject ? 'agent' : undefined,
    ].filter((x): x is string => x !== undefined);
    return as.length > 0 ? [{ run, as }] : [];
  });
  const uses = await store.usesOf(runs.map((r) => r.run.entry_id));
  const audit = (await store.auditRecords(['decision', 'extraction_started', 'extraction_finished'])).filter(
    (r) => r.subject === subject || r.on_behalf_of === subject || r.agent_id === subject,
  );
  return {
    subject,
    runs: runs.map(({ run, as }) => ({
      run,
      as,
      columns: columnsOf(uses.filter((u) => u.entry_id === run.entry_id)),
    })),
    audit,
  };
}

function columnsOf(uses: ColumnUse[]): IdentityRun['columns'] {
  const byKey = new Map<string, IdentityRun['columns'][number]>();
  for (const use of uses) {
    const column = `${use.connection}.${use.relation}.${use.upstream_column}`;
    const key = JSON.stringify([column, use.output, use.output_column]);
    let entry = byKey.get(key);
    if (!entry) {
      entry = { column, output: use.output, output_column: use.output_column, masks: [] };
      byKey.set(key, entry);
    }
    if (use.mask !== null) entry.masks.push(use.key_id ? `${use.mask}(${use.key_id})` : use.mask);
  }
  return [...byKey.values()];
}
