import type { KeyObject } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { SluiceError } from '../core/errors.js';
import {
  type AuditProblem,
  checkCheckpoint,
  checkLink,
  GENESIS_HASH,
  type LineCheckFailure,
  parseRecordLine,
} from './audit-chain.js';
import { readLines } from './read-lines.js';

export interface VerifyAuditLogOptions {
  /** Trusted checkpoint keys by key id. Without them checkpoint signatures are not checked. */
  publicKeys?: Record<string, KeyObject>;
  /**
   * A head hash recorded elsewhere (a manifest, a ticket, a previous verification). The log must
   * contain a record with this hash. This is the only way to notice whole trailing lines removed
   * after the last checkpoint, or a chain rewritten from some line on with recomputed hashes.
   */
  expectedHead?: string;
  signal?: AbortSignal;
}

export interface AuditVerification {
  ok: boolean;
  /** Records that verified, in order, before the first bad line. */
  records: number;
  /** Hash of the last record that verified; null for an empty log or a bad first line. */
  head: string | null;
  /** 1-based line number of the first problem. */
  firstBadLine?: number;
  /** What is wrong, in words, starting with `line N`. */
  problem?: string;
  reason?: AuditProblem;
  checkpoints: { total: number; verified: number };
}

/**
 * Walks the whole log and checks every line: JSON in the writer's form, its own hash, `seq`
 * equal to the line number, `prev_hash` equal to the previous line's hash, and checkpoint
 * signatures. Stops at the first problem. An empty log verifies with `head: null`.
 *
 * @example const result = await verifyAuditLog('audit.jsonl'); if (!result.ok) console.error(result.problem);
 */
export async function verifyAuditLog(
  path: string,
  options: VerifyAuditLogOptions = {},
): Promise<AuditVerification> {
  await assertReadable(path);
  const checkpoints = { total: 0, verified: 0 };
  let head: string | null = null;
  let records = 0;
  let sawExpectedHead = options.expectedHead === undefined;
  const fail = (line: number, failure: LineCheckFailure): AuditVerification => ({
    ok: false,
    records,
    head,
    firstBadLine: line,
    problem: `line ${line} ${failure.problem}`,
    reason: failure.reason,
    checkpoints,
  });

  for await (const line of readLines(path, options.signal)) {
    if (!line.terminated) {
      return fail(line.number, {
        reason: 'partial_line',
        problem:
          'is incomplete (no newline at the end of the file): a write was cut short or the file was truncated',
      });
    }
    if (line.text === null)
      return fail(line.number, { reason: 'unparseable', problem: 'is not valid UTF-8' });
    const parsed = parseRecordLine(line.text);
    if (!('record' in parsed)) return fail(line.number, parsed);
    const linkFailure = checkLink(parsed.record, line.number, head ?? GENESIS_HASH);
    if (linkFailure) return fail(line.number, linkFailure);
    if (parsed.record.kind === 'checkpoint') {
      checkpoints.total += 1;
      const result = checkCheckpoint(parsed.record, options.publicKeys);
      if (result.failure) return fail(line.number, result.failure);
      if (result.verified) checkpoints.verified += 1;
    }
    head = parsed.record.hash;
    records += 1;
    if (head === options.expectedHead) sawExpectedHead = true;
  }
  if (!sawExpectedHead) {
    return fail(records + 1, {
      reason: 'head_not_found',
      problem: `should follow a record with hash \`${options.expectedHead}\`, which the log does not contain: trailing lines were removed or the chain was rewritten`,
    });
  }
  return { ok: true, records, head, checkpoints };
}

async function assertReadable(path: string): Promise<void> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
  } catch (cause) {
    throw new SluiceError(
      'CONFIG_NOT_FOUND',
      `Audit log \`${path}\` cannot be read (${(cause as NodeJS.ErrnoException).code ?? 'error'}). Check the path.`,
      { context: { file: path }, cause },
    );
  }
}
