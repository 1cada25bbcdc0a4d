import type { AuditRecord } from '../evidence/audit-event.js';
import type { IndexedAuditRecord } from './usage-records.js';

/** Audit record kinds the usage index keeps. */
export const INDEXED_AUDIT_KINDS = [
  'decision',
  'extraction_started',
  'extraction_finished',
  'run_started',
  'run_finished',
] as const;

const KINDS = new Set<string>(INDEXED_AUDIT_KINDS);

/** The index row of an audit record, or undefined for kinds the index does not keep. */
export function flattenAuditRecord(record: AuditRecord, log: string): IndexedAuditRecord | undefined {
  if (!KINDS.has(record.kind)) return undefined;
  const r = record as unknown as Record<string, unknown>;
  const identity = (r.identity ?? {}) as Record<string, unknown>;
  const agent = (identity.agent ?? {}) as Record<string, unknown>;
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  const strings = (v: unknown): string[] =>
    Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  const masks = Array.isArray(r.masks)
    ? (r.masks as Record<string, unknown>[]).flatMap((m) =>
        typeof m.column === 'string' && typeof m.mask === 'string'
          ? [
              {
                column: m.column,
                mask: m.mask,
                ...(typeof m.key_id === 'string' ? { key_id: m.key_id } : {}),
              },
            ]
          : [],
      )
    : [];
  return {
    hash: String(r.hash ?? ''),
    log,
    seq: typeof r.seq === 'number' ? r.seq : 0,
    ts: record.ts,
    kind: record.kind,
    run_id: str(r.run_id),
    subject: str(identity.subject) ?? str(r.subject),
    on_behalf_of: str(identity.on_behalf_of),
    agent_id: str(agent.id),
    source: str(r.source),
    connection: str(r.connection),
    relations: strings(r.relations),
    columns: strings(r.columns),
    outcome: str(r.verdict) ?? str(r.outcome) ?? str(r.status),
    purpose: str(r.purpose),
    masks,
  };
}
