import { SluiceError } from '../core/errors.js';
import type { AuditRecord } from './audit-event.js';
import { readLines } from './read-lines.js';

/** Which records to return. Every given criterion must match. */
export interface AuditQuery {
  /** Exact, on `identity.subject`, `identity.on_behalf_of` or `subject`. */
  subject?: string;
  /**
   * A relation read, matched case-insensitively against `connection.schema.table`: the full
   * name or a dot-bounded suffix (`customers`, `public.customers`), or a glob with `*`
   * (`*cust*`).
   */
  table?: string;
  /** `verdict` of a decision, `outcome` of authentication/extraction, `status` of a run. */
  outcome?: string;
  kind?: string | string[];
  /** Inclusive lower bound on `ts`. */
  since?: string | Date;
  /** Exclusive upper bound on `ts` (so consecutive windows neither overlap nor leave gaps). */
  until?: string | Date;
}

export interface CompiledAuditQuery {
  matches(record: AuditRecord): boolean;
  sinceMs: number | undefined;
  untilMs: number | undefined;
}

/** Validates a query once (dates, globs) so it can be applied to many records. */
export function compileAuditQuery(query: AuditQuery): CompiledAuditQuery {
  const sinceMs = toEpochMs(query.since, 'since');
  const untilMs = toEpochMs(query.until, 'until');
  const kinds = query.kind === undefined ? undefined : new Set([query.kind].flat());
  const table = query.table === undefined ? undefined : tableMatcher(query.table);
  const matches = (record: AuditRecord): boolean => {
    if (kinds && !kinds.has(record.kind)) return false;
    if (sinceMs !== undefined || untilMs !== undefined) {
      const ts = Date.parse(record.ts);
      if (sinceMs !== undefined && !(ts >= sinceMs)) return false;
      if (untilMs !== undefined && !(ts < untilMs)) return false;
    }
    if (query.subject !== undefined && !recordSubjects(record).includes(query.subject)) return false;
    if (query.outcome !== undefined && recordOutcome(record) !== query.outcome) return false;
    if (table && !recordRelations(record).some(table)) return false;
    return true;
  };
  return { matches, sinceMs, untilMs };
}

/**
 * Records of the log in order, with their line numbers. Only parses: it does not check hashes
 * (run `verifyAuditLog` for that); a line that is not JSON stops it with `INTEGRITY_FAILED`.
 */
export async function* readAuditRecords(
  path: string,
  signal?: AbortSignal,
): AsyncGenerator<{ line: number; record: AuditRecord }> {
  for await (const line of readLines(path, signal)) {
    let record: unknown;
    try {
      record = line.text === null ? undefined : JSON.parse(line.text);
    } catch {
      record = undefined;
    }
    const r = record as Partial<AuditRecord> | undefined;
    if (typeof r !== 'object' || r === null || typeof r.kind !== 'string' || typeof r.ts !== 'string') {
      throw new SluiceError(
        'INTEGRITY_FAILED',
        `Line ${line.number} of audit log \`${path}\` is not an audit record. Run \`pipeline audit verify ${path}\` to check the log.`,
        { context: { file: path, line: line.number } },
      );
    }
    yield { line: line.number, record: r as AuditRecord };
  }
}

/** The records of the log that match `query`, in log order. */
export async function* queryAuditLog(
  path: string,
  query: AuditQuery,
  signal?: AbortSignal,
): AsyncGenerator<AuditRecord> {
  const compiled = compileAuditQuery(query);
  for await (const { record } of readAuditRecords(path, signal)) {
    if (compiled.matches(record)) yield record;
  }
}

/** Subjects a record is about: the identity, whom it acts for, or a plain `subject`. */
export function recordSubjects(record: AuditRecord): string[] {
  const r = record as unknown as Record<string, unknown>;
  const identity = r.identity as { subject?: unknown; on_behalf_of?: unknown } | undefined;
  return [identity?.subject, identity?.on_behalf_of, r.subject].filter(
    (s): s is string => typeof s === 'string',
  );
}

/** Fully qualified relations a record names: `connection.schema.table`. */
export function recordRelations(record: AuditRecord): string[] {
  const r = record as unknown as Record<string, unknown>;
  if (!Array.isArray(r.relations)) return [];
  const prefix = typeof r.connection === 'string' ? `${r.connection}.` : '';
  return r.relations.filter((x): x is string => typeof x === 'string').map((rel) => prefix + rel);
}

/** A record's verdict, outcome or status, whichever it has. */
export function recordOutcome(record: AuditRecord): string | undefined {
  const r = record as unknown as Record<string, unknown>;
  const value = r.verdict ?? r.outcome ?? r.status;
  return typeof value === 'string' ? value : undefined;
}

function tableMatcher(pattern: string): (name: string) => boolean {
  const p = pattern.toLowerCase();
  if (p.includes('*')) {
    const source = p
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    const regex = new RegExp(`^${source}$`);
    return (name) => regex.test(name.toLowerCase());
  }
  return (name) => {
    const n = name.toLowerCase();
    return n === p || n.endsWith(`.${p}`);
  };
}

function toEpochMs(value: string | Date | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  if (Number.isNaN(ms)) {
    throw new SluiceError(
      'USAGE',
      `\`${option}\` is not a date or time: \`${String(value)}\`. Use ISO-8601, e.g. 2024-05-01 or 2024-05-01T12:00:00Z.`,
      { context: { option } },
    );
  }
  return ms;
}
