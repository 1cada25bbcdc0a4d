import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SluiceError } from '../core/errors.js';
import { FileApprovalStore } from './approval-store.js';
import { approvalStoreContract } from './approval-store-contract.js';
import { access, approver, requester, requirement } from './test-request.js';

let dir: string;
const store = (path = join(dir, 'approvals.jsonl')) => new FileApprovalStore(path);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-approvals-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

approvalStoreContract('FileApprovalStore', async () => ({
  open: (now) => new FileApprovalStore(join(dir, 'approvals.jsonl'), { now }),
}));

async function refusal(promise: Promise<unknown>): Promise<SluiceError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SluiceError);
  return err as SluiceError;
}

describe('FileApprovalStore', () => {
  it('ignores a last line cut short by a crash and writes the next record on a line of its own', async () => {
    const path = join(dir, 'approvals.jsonl');
    const { id } = await store(path).request({ access: access(), requirement: requirement(), requester });
    await appendFile(path, '{"type":"decision","id":"');
    expect((await store(path).get(id))?.status).toBe('pending');
    expect((await store(path).decide(id, approver('alice'), 'approve')).status).toBe('granted');
    expect((await store(path).get(id))?.status).toBe('granted');
    expect((await readFile(path, 'utf8')).split('\n')).toHaveLength(3);
  });

  it('refuses to trust a file with a corrupt line in the middle', async () => {
    const path = join(dir, 'approvals.jsonl');
    await store(path).request({ access: access(), requirement: requirement(), requester });
    await appendFile(path, 'not json\n');
    await store(path)
      .request({ access: access({ purpose: 'analytics' }), requirement: requirement(), requester })
      .catch(() => undefined);
    const err = await refusal(store(path).list());
    expect(err.code).toBe('INTEGRITY_FAILED');
    expect(err.message).toContain('Line 2');
  });
});
