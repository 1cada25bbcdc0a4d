import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SluiceError } from '../core/errors.js';
import { EventBus, type SluiceEvent } from '../core/events.js';
import type { CustomAuditEvent } from '../evidence/audit-event.js';
import { type ApprovalCheck, type ApprovalGate, enforceApproval } from './approval-gate.js';
import { FileApprovalStore } from './approval-store.js';
import { approver, requester, requirement } from './test-request.js';

let dir: string;
let gate: ApprovalGate & { store: FileApprovalStore };
let audit: CustomAuditEvent[];
let events: SluiceEvent[];
let bus: EventBus;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-gate-'));
  audit = [];
  events = [];
  bus = new EventBus('run-1');
  bus.on((e) => events.push(e));
  gate = {
    store: new FileApprovalStore(join(dir, 'approvals.jsonl')),
    pipelineSha256: 'ab'.repeat(32),
    record: (e) => audit.push(e),
  };
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const check = (sql = 'SELECT id, email FROM customers'): ApprovalCheck => ({
  source: 'customers',
  connection: 'demo',
  purpose: 'model-training',
  identity: requester,
  relations: ['main.customers'],
  columns: ['main.customers.id', 'main.customers.email'],
  masks: [{ column: 'email', mask: 'hmac', key_id: 'demo', params: {} }],
  row_limit: 500,
  sql,
  astHash: `hash:${sql}`,
  requirement: requirement({ min_approvals: 1 }),
});

async function stopped(promise: Promise<unknown>): Promise<SluiceError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SluiceError);
  return err as SluiceError;
}

describe('enforceApproval', () => {
  it('stops with APPROVAL_REQUIRED naming the request, what is asked and who approves', async () => {
    const err = await stopped(enforceApproval(check(), gate, bus));
    expect(err.code).toBe('APPROVAL_REQUIRED');
    expect(err.exitCode).toBe(4);
    const id = err.context['approval_id'] as string;
    expect(err.message).toContain(id);
    for (const fact of [
      'customers',
      '`demo`',
      'model-training',
      'main.customers.email',
      'email: hmac',
      '500 rows',
      '`stewards`',
    ])
      expect(err.message).toContain(fact);
    expect(audit.map((a) => a.kind)).toEqual(['approval.requested']);
    expect(audit[0]).toMatchObject({ approval_id: id, requester: 'dana', run_id: 'run-1' });
    // Asking again waits on the same request and audits nothing new.
    const again = await stopped(enforceApproval(check(), gate, bus));
    expect(again.context['approval_id']).toBe(id);
    expect(audit).toHaveLength(1);
  });

  it('lets a granted access through and emits approval_used with the approvers', async () => {
    const id = (await stopped(enforceApproval(check(), gate, bus))).context['approval_id'] as string;
    await gate.store.decide(id, approver('alice'), 'approve', 'OPS-7');
    const state = await enforceApproval(check(), gate, bus);
    expect(state.id).toBe(id);
    const used = events.find((e) => e.type === 'approval_used');
    expect(used).toMatchObject({ approval_id: id, approver: 'alice', source: 'customers', reason: 'OPS-7' });
    expect(audit.map((a) => a.kind)).toEqual(['approval.requested', 'approval.used']);
  });

  it('asks again when the query changes after an approval', async () => {
    const id = (await stopped(enforceApproval(check(), gate, bus))).context['approval_id'] as string;
    await gate.store.decide(id, approver('alice'), 'approve');
    const other = await stopped(enforceApproval(check('SELECT id, email, ssn FROM customers'), gate, bus));
    expect(other.code).toBe('APPROVAL_REQUIRED');
    expect(other.context['approval_id']).not.toBe(id);
  });

  it('denies with the approver and reason once a request is denied', async () => {
    const id = (await stopped(enforceApproval(check(), gate, bus))).context['approval_id'] as string;
    await gate.store.decide(id, approver('alice'), 'deny', 'use analytics data instead');
    const err = await stopped(enforceApproval(check(), gate, bus));
    expect(err.code).toBe('POLICY_DENIED');
    expect(err.message).toContain('`alice`');
    expect(err.message).toContain('use analytics data instead');
  });

  it('posts a new request to the webhook once, not when the run asks again', async () => {
    const bodies: unknown[] = [];
    const server = createServer(async (req, res) => {
      let text = '';
      for await (const chunk of req) text += chunk;
      bodies.push(JSON.parse(text));
      res.writeHead(200).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      gate.webhookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const id = (await stopped(enforceApproval(check(), gate, bus))).context['approval_id'];
      await stopped(enforceApproval(check(), gate, bus));
      expect(bodies).toEqual([expect.objectContaining({ event: 'approval.requested', approval_id: id })]);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
