import type { KeyObject } from 'node:crypto';
import type { AuditMaskFacts, AuditRecord, DecisionEvent, ExtractionFinishedEvent } from './audit-event.js';
import { compileAuditQuery, readAuditRecords } from './audit-query.js';
import { type AuditVerification, verifyAuditLog } from './verify-audit-log.js';

/** One access: a decision on who read what, and what the extraction it allowed then did. */
export interface AccessRow {
  ts: string;
  seq: number;
  /** Hash of the decision record: the id of "under which decision". */
  decision_hash: string;
  subject: string;
  on_behalf_of: string | null;
  agent_id: string | null;
  method: string;
  verified_identity: boolean;
  purpose: string;
  connection: string;
  relations: string[];
  columns: string[];
  verdict: string;
  reasons: string[];
  policy_version: string;
  masks: AuditMaskFacts[];
  run_id: string | null;
  source: string | null;
  rows: number | null;
  bytes: number | null;
  duration_ms: number | null;
  outcome: string | null;
  /** True when the decision's line lies before the log's first bad line. */
  chain_verified: boolean;
}

export const ACCESS_CSV_COLUMNS = [
  'ts',
  'seq',
  'decision_hash',
  'subject',
  'on_behalf_of',
  'agent_id',
  'method',
  'verified_identity',
  'purpose',
  'connection',
  'relations',
  'columns',
  'verdict',
  'reasons',
  'policy_version',
  'masks',
  'run_id',
  'source',
  'rows',
  'bytes',
  'duration_ms',
  'outcome',
  'chain_verified',
] as const satisfies readonly (keyof AccessRow)[];

export interface AccessHistoryOptions {
  since?: string | Date;
  until?: string | Date;
  publicKeys?: Record<string, KeyObject>;
  expectedHead?: string;
  signal?: AbortSignal;
}

/**
 * The access history of a time window: every decision (allowed or not) whose `ts` lies in
 * [since, until), joined to the end of the extraction it allowed (by `decision_id`, else by
 * `run_id` + `source`), with the chain's verification result.
 */
export async function accessHistory(
  path: string,
  options: AccessHistoryOptions = {},
): Promise<{ rows: AccessRow[]; verification: AuditVerification }> {
  const window = compileAuditQuery({
    ...(options.since === undefined ? {} : { since: options.since }),
    ...(options.until === undefined ? {} : { until: options.until }),
  });
  const verification = await verifyAuditLog(path, {
    ...(options.publicKeys === undefined ? {} : { publicKeys: options.publicKeys }),
    ...(options.expectedHead === undefined ? {} : { expectedHead: options.expectedHead }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const trustedLines = verification.ok ? Number.POSITIVE_INFINITY : (verification.firstBadLine ?? 1) - 1;
  const rows: AccessRow[] = [];
  // Rows still waiting for their extraction_finished, by decision id and by run+source.
  const byDecisionId = new Map<string, AccessRow>();
  const byRunSource = new Map<string, AccessRow>();
  for await (const { line, record } of readAuditRecords(path, options.signal)) {
    if (record.kind === 'decision') {
      const decision = record as AuditRecord<DecisionEvent>;
      const row = toRow(decision, line <= trustedLines);
      if (window.matches(record)) rows.push(row);
      if (decision.decision_id) byDecisionId.set(decision.decision_id, row);
      if (row.run_id !== null && row.source !== null) byRunSource.set(`${row.run_id}\0${row.source}`, row);
    } else if (record.kind === 'extraction_finished') {
      const end = record as AuditRecord<ExtractionFinishedEvent>;
      const key = `${end.run_id}\0${end.source}`;
      const row = (end.decision_id ? byDecisionId.get(end.decision_id) : undefined) ?? byRunSource.get(key);
      if (row === undefined) continue;
      row.rows = end.rows;
      row.bytes = end.bytes;
      row.duration_ms = end.duration_ms;
      row.outcome = end.outcome;
      if (line > trustedLines) row.chain_verified = false;
      if (end.decision_id) byDecisionId.delete(end.decision_id);
      if (byRunSource.get(key) === row) byRunSource.delete(key);
    }
  }
  return { rows, verification };
}

export interface ExportAccessHistoryOptions extends AccessHistoryOptions {
  format: 'csv' | 'jsonl';
  /** Receives the output in order. */
  write: (chunk: string) => void | Promise<void>;
}

/**
 * Writes the access history of a window as CSV or JSONL. CSV holds only rows (RFC 4180, one
 * header line, no comments, so any CSV reader takes it); its verification result is returned for
 * the caller to report (the CLI prints it). JSONL ends with one `"record_type":"verification"`
 * line after the `"record_type":"access"` lines. Either way each row has `chain_verified`.
 */
export async function exportAccessHistory(
  path: string,
  options: ExportAccessHistoryOptions,
): Promise<{ accesses: number; verification: AuditVerification }> {
  const { rows, verification } = await accessHistory(path, options);
  if (options.format === 'csv') {
    await options.write(`${ACCESS_CSV_COLUMNS.join(',')}\r\n`);
    for (const row of rows)
      await options.write(`${ACCESS_CSV_COLUMNS.map((c) => csvCell(row[c])).join(',')}\r\n`);
  } else {
    for (const row of rows) await options.write(`${JSON.stringify({ record_type: 'access', ...row })}\n`);
    await options.write(
      `${JSON.stringify({
        record_type: 'verification',
        log: path,
        since: options.since === undefined ? null : new Date(options.since).toISOString(),
        until: options.until === undefined ? null : new Date(options.until).toISOString(),
        accesses: rows.length,
        ok: verification.ok,
        records: verification.records,
        head: verification.head,
        first_bad_line: verification.firstBadLine ?? null,
        problem: verification.problem ?? null,
        checkpoints: verification.checkpoints,
      })}\n`,
    );
  }
  return { accesses: rows.length, verification };
}

function toRow(record: AuditRecord<DecisionEvent>, trusted: boolean): AccessRow {
  const identity = record.identity ?? { subject: '', method: '', verified: false };
  return {
    ts: record.ts,
    seq: record.seq,
    decision_hash: record.hash,
    subject: identity.subject,
    on_behalf_of: identity.on_behalf_of ?? null,
    agent_id: identity.agent?.id ?? null,
    method: identity.method,
    verified_identity: identity.verified,
    purpose: record.purpose,
    connection: record.connection,
    relations: record.relations ?? [],
    columns: record.columns ?? [],
    verdict: record.verdict,
    reasons: record.reasons ?? [],
    policy_version: record.policy_version,
    masks: record.masks ?? [],
    run_id: record.run_id ?? null,
    source: record.source ?? null,
    rows: null,
    bytes: null,
    duration_ms: null,
    outcome: null,
    chain_verified: trusted,
  };
}

/** Lists join with `;`; masks as `column=mask[@key_id]`. */
function csvCell(value: AccessRow[keyof AccessRow]): string {
  if (value === null) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  let text: string;
  if (Array.isArray(value)) {
    text = value
      .map((item) =>
        typeof item === 'string'
          ? item
          : `${item.column}=${item.mask}${item.key_id ? `@${item.key_id}` : ''}`,
      )
      .join(';');
  } else {
    text = value;
  }
  // A cell a spreadsheet would run as a formula is prefixed with ' (OWASP CSV injection advice).
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
