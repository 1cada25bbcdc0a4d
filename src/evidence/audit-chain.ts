import type { KeyObject } from 'node:crypto';
import { verify } from 'node:crypto';
import type { AuditRecord } from './audit-event.js';
import { canonicalHash, canonicalJson } from './canonical-json.js';
import { pae } from './signing.js';

/** `prev_hash` of the first record. */
export const GENESIS_HASH = '0'.repeat(64);
export const CHECKPOINT_PAYLOAD_TYPE = 'application/vnd.sluice.audit-checkpoint+json';

const HEX64 = /^[0-9a-f]{64}$/;

/** Machine-readable name of what is wrong with a line. */
export type AuditProblem =
  | 'partial_line'
  | 'unparseable'
  | 'not_normal_form'
  | 'malformed_record'
  | 'hash_mismatch'
  | 'seq_mismatch'
  | 'prev_hash_mismatch'
  | 'bad_checkpoint'
  | 'head_not_found';

export interface LineCheckFailure {
  reason: AuditProblem;
  problem: string;
}

/** The hash a record must carry: SHA-256 of the canonical form of the record without `hash`. */
export function recordHash(record: Record<string, unknown>): string {
  const { hash: _ignored, ...rest } = record;
  return canonicalHash(rest);
}

/** The bytes a checkpoint signature covers. */
export function checkpointMessage(head: string, records: number): Uint8Array {
  return pae(CHECKPOINT_PAYLOAD_TYPE, Buffer.from(canonicalJson({ head, records }), 'utf8'));
}

/**
 * Parses one line and checks everything the line can prove on its own: JSON, the form the writer
 * produces (which rules out duplicate keys), header fields and the record's own hash.
 */
export function parseRecordLine(text: string): { record: AuditRecord } | LineCheckFailure {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { reason: 'unparseable', problem: 'is not valid JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { reason: 'malformed_record', problem: 'is not a JSON object' };
  }
  // JSON.parse keeps key order, so any whitespace change, escape change or duplicate key shows up.
  if (JSON.stringify(parsed) !== text) {
    return {
      reason: 'not_normal_form',
      problem: 'is not in the form the audit log writes (reformatted, or a key appears twice)',
    };
  }
  const r = parsed as Record<string, unknown>;
  if (!Number.isSafeInteger(r.seq) || (r.seq as number) < 1) {
    return { reason: 'malformed_record', problem: 'has no positive integer `seq`' };
  }
  if (typeof r.ts !== 'string' || Number.isNaN(Date.parse(r.ts))) {
    return { reason: 'malformed_record', problem: 'has no ISO-8601 `ts`' };
  }
  if (typeof r.prev_hash !== 'string' || !HEX64.test(r.prev_hash)) {
    return { reason: 'malformed_record', problem: 'has no 64-hex-digit `prev_hash`' };
  }
  if (typeof r.kind !== 'string' || r.kind === '') {
    return { reason: 'malformed_record', problem: 'has no `kind`' };
  }
  if (typeof r.hash !== 'string' || !HEX64.test(r.hash)) {
    return { reason: 'malformed_record', problem: 'has no 64-hex-digit `hash`' };
  }
  if (recordHash(r) !== r.hash) {
    return {
      reason: 'hash_mismatch',
      problem: 'does not match its own `hash`: the record was edited after it was written',
    };
  }
  return { record: r as unknown as AuditRecord };
}

/** Checks a parsed record's place in the chain: its `seq` and `prev_hash`. */
export function checkLink(
  record: AuditRecord,
  expectedSeq: number,
  expectedPrevHash: string,
): LineCheckFailure | undefined {
  if (record.seq !== expectedSeq) {
    const what =
      record.seq > expectedSeq
        ? 'a line before it was removed, or lines were reordered'
        : 'a line was inserted or repeated before it, or lines were reordered';
    return {
      reason: 'seq_mismatch',
      problem: `has seq ${record.seq} where ${expectedSeq} was expected: ${what}`,
    };
  }
  if (record.prev_hash !== expectedPrevHash) {
    return {
      reason: 'prev_hash_mismatch',
      problem:
        'has a `prev_hash` that is not the hash of the line before it: the preceding lines were changed, removed or replaced',
    };
  }
  return undefined;
}

/**
 * Checks a checkpoint record: it must sign the head right before it. With `publicKeys`, the
 * signature must verify under the key its `key_id` names; without, only its shape is checked.
 */
export function checkCheckpoint(
  record: AuditRecord,
  publicKeys: Record<string, KeyObject> | undefined,
): { failure?: LineCheckFailure; verified: boolean } {
  const r = record as unknown as Record<string, unknown>;
  if (typeof r.head !== 'string' || typeof r.key_id !== 'string' || typeof r.sig !== 'string') {
    return {
      failure: { reason: 'bad_checkpoint', problem: 'is a checkpoint without `head`, `key_id` and `sig`' },
      verified: false,
    };
  }
  if (r.head !== record.prev_hash || r.records !== record.seq - 1) {
    return {
      failure: {
        reason: 'bad_checkpoint',
        problem: 'is a checkpoint whose `head` is not the record before it',
      },
      verified: false,
    };
  }
  if (publicKeys === undefined) return { verified: false };
  const key = publicKeys[r.key_id];
  if (key === undefined) {
    return {
      failure: {
        reason: 'bad_checkpoint',
        problem: `is a checkpoint signed with key \`${r.key_id}\`, which is not among the trusted public keys`,
      },
      verified: false,
    };
  }
  let ok = false;
  try {
    ok = verify(null, checkpointMessage(r.head, r.records as number), key, Buffer.from(r.sig, 'base64'));
  } catch {
    ok = false;
  }
  if (!ok) {
    return {
      failure: {
        reason: 'bad_checkpoint',
        problem: `is a checkpoint whose signature does not verify with key \`${r.key_id}\``,
      },
      verified: false,
    };
  }
  return { verified: true };
}
