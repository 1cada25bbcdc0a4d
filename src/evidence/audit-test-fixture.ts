import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IdentityFacts } from '../core/events.js';
import type { AuditEventInput } from './audit-event.js';
import { AuditLog, type AuditLogOptions } from './audit-log.js';

/** Test support: a seeded audit log with one allowed and one denied access. Not public API. */

export const alice: IdentityFacts = {
  subject: 'alice@example.com',
  issuer: 'https://idp.example.com',
  method: 'oidc',
  groups: ['analysts'],
  verified: true,
};

export const agent: IdentityFacts = {
  subject: 'agent:trainer-7',
  issuer: 'https://idp.example.com',
  method: 'oidc',
  groups: ['agents'],
  verified: true,
  on_behalf_of: 'bob@example.com',
  agent: { id: 'trainer-7', model: 'gpt-x' },
};

export const sampleEvents: AuditEventInput[] = [
  { kind: 'authentication', subject: alice.subject, method: 'oidc', outcome: 'success', identity: alice },
  {
    kind: 'run_started',
    run_id: 'run-1',
    pipeline: { name: 'churn', sha256: 'a'.repeat(64) },
    identity: alice,
    purpose: 'churn-model',
  },
  {
    kind: 'decision',
    run_id: 'run-1',
    decision_id: 'd-1',
    source: 'customers',
    identity: alice,
    purpose: 'churn-model',
    connection: 'demo',
    relations: ['public.customers'],
    columns: ['public.customers.id', 'public.customers.email'],
    verdict: 'allow',
    reasons: ['rule `analysts-churn` grants public.customers'],
    policy_version: 'b'.repeat(64),
    masks: [{ column: 'email', mask: 'hash_sha256', key_id: 'k1', origin: 'policy' }],
  },
  {
    kind: 'extraction_started',
    run_id: 'run-1',
    decision_id: 'd-1',
    source: 'customers',
    connection: 'demo',
  },
  {
    kind: 'extraction_finished',
    run_id: 'run-1',
    decision_id: 'd-1',
    source: 'customers',
    rows: 1000,
    bytes: 64000,
    duration_ms: 120,
    outcome: 'succeeded',
  },
  { kind: 'run_finished', run_id: 'run-1', status: 'succeeded', duration_ms: 300, rows_written: 1000 },
  { kind: 'authentication', subject: null, method: 'oidc', outcome: 'failure', reason: 'token expired' },
  {
    kind: 'decision',
    run_id: 'run-2',
    source: 'payments',
    identity: agent,
    purpose: 'fraud-model',
    connection: 'demo',
    relations: ['public.payments'],
    columns: ['public.payments.card_number'],
    verdict: 'deny',
    reasons: ['column `public.payments.card_number` (class pci) needs mask `redact` or `tokenize`'],
    policy_version: 'b'.repeat(64),
    masks: [],
  },
  { kind: 'admin', action: 'policy.changed', subject: 'security-team', details: { rules: 4 } },
];

/** A clock that starts at 2024-05-01T10:00:00Z and moves one minute per call. */
export function minuteClock(start = Date.parse('2024-05-01T10:00:00Z')): () => Date {
  let calls = 0;
  return () => new Date(start + 60_000 * calls++);
}

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'sluice-audit-'));
}

export async function writeSampleLog(path: string, options: AuditLogOptions = {}): Promise<string | null> {
  const log = await AuditLog.open(path, { now: minuteClock(), ...options });
  for (const event of sampleEvents) await log.append(event);
  await log.close();
  return log.head();
}

export async function readLogLines(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8');
  return text.split('\n').slice(0, -1);
}

export async function writeLogLines(path: string, lines: string[]): Promise<void> {
  await writeFile(path, lines.map((l) => `${l}\n`).join(''));
}
