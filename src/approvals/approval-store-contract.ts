import { beforeEach, describe, expect, it } from 'vitest';
import { SluiceError } from '../core/errors.js';
import type { ApprovalStore } from './approval-store.js';
import { access, approver, requester, requirement } from './test-request.js';

/**
 * The behaviour every approval store must show, run by each store's tests. `open` returns a new
 * store object on the storage of the current test (a fresh storage per test); objects share
 * nothing in memory, like separate processes.
 */
export function approvalStoreContract(
  name: string,
  setup: () => Promise<{ open: (now: () => Date) => ApprovalStore }>,
): void {
  let clock: Date;
  let open: (now: () => Date) => ApprovalStore;
  const store = (): ApprovalStore => open(() => clock);
  const later = (ms: number) => {
    clock = new Date(clock.getTime() + ms);
  };
  const HOUR = 3_600_000;

  beforeEach(async () => {
    clock = new Date('2026-01-01T00:00:00Z');
    ({ open } = await setup());
  });

  async function refusal(promise: Promise<unknown>): Promise<SluiceError> {
    const err = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SluiceError);
    return err as SluiceError;
  }

  describe(`${name} (approval store contract)`, () => {
    it('creates a pending request once and hands back the same one for the same access', async () => {
      const s = store();
      const first = await s.request({ access: access(), requirement: requirement(), requester });
      const again = await s.request({ access: access(), requirement: requirement(), requester });
      const other = await s.request({
        access: access({ purpose: 'analytics' }),
        requirement: requirement(),
        requester,
      });
      expect(first.created).toBe(true);
      expect(first.id).toMatch(/^apr_[0-9a-f]{12}$/);
      expect(again).toMatchObject({ id: first.id, created: false, status: 'pending' });
      expect(other.id).not.toBe(first.id);
      expect((await s.list({ pending: true })).map((r) => r.id)).toEqual([first.id, other.id]);
    });

    it('grants with one approval from an approver group and keeps the grant for the policy ttl', async () => {
      const s = store();
      const { id, key } = await s.request({ access: access(), requirement: requirement(), requester });
      later(1000);
      const granted = await s.decide(id, approver('alice'), 'approve', 'ticket OPS-1');
      expect(granted).toMatchObject({
        status: 'granted',
        approvers: ['alice'],
        granted_at: clock.toISOString(),
      });
      expect(granted.expires_at).toBe(new Date(clock.getTime() + HOUR).toISOString());
      expect((await s.find(key))?.status).toBe('granted');
      later(HOUR);
      expect((await s.find(key))?.status).toBe('expired');
      expect(await s.list({ pending: true })).toEqual([]);
    });

    it('lets a pending request lapse after request_ttl, and then refuses decisions on it', async () => {
      const s = store();
      const { id } = await s.request({ access: access(), requirement: requirement(), requester });
      later(24 * HOUR);
      expect((await s.get(id))?.status).toBe('expired');
      const err = await refusal(s.decide(id, approver('alice'), 'approve'));
      expect(err.code).toBe('USAGE');
      expect(err.message).toContain('expired');
      const fresh = await s.request({ access: access(), requirement: requirement(), requester });
      expect(fresh).toMatchObject({ created: true, status: 'pending' });
      expect(fresh.id).not.toBe(id);
    });

    it('refuses the requester approving their own request, even from an approver group', async () => {
      const s = store();
      const { id } = await s.request({ access: access(), requirement: requirement(), requester });
      const err = await refusal(
        s.decide(id, { ...approver(requester.subject), issuer: requester.issuer }, 'approve'),
      );
      expect(err.code).toBe('POLICY_DENIED');
      expect(err.context['reason']).toBe('self_approval');
      expect((await s.get(id))?.status).toBe('pending');
    });

    it('refuses an identity outside the approver groups, and an unverified one', async () => {
      const s = store();
      const { id } = await s.request({ access: access(), requirement: requirement(), requester });
      const outsider = await refusal(s.decide(id, approver('mallory', ['ml']), 'approve'));
      expect(outsider.code).toBe('POLICY_DENIED');
      expect(outsider.message).toContain('`stewards`');
      const local = await refusal(
        s.decide(id, { ...approver('bob'), method: 'local', verified: false }, 'approve'),
      );
      expect(local.context['reason']).toBe('unverified_approver');
      expect((await s.get(id))?.decisions).toEqual([]);
    });

    it('needs min_approvals distinct approvers', async () => {
      const s = store();
      const { id } = await s.request({
        access: access(),
        requirement: requirement({ min_approvals: 2 }),
        requester,
      });
      expect((await s.decide(id, approver('alice'), 'approve')).status).toBe('pending');
      const twice = await refusal(s.decide(id, approver('alice'), 'approve'));
      expect(twice.code).toBe('USAGE');
      const done = await s.decide(id, approver('bob'), 'approve');
      expect(done).toMatchObject({ status: 'granted', approvers: ['alice', 'bob'] });
    });

    it('with all_of needs an approval from each group', async () => {
      const s = store();
      const req = requirement({ approver_groups: ['stewards', 'security'], mode: 'all_of' });
      const { id } = await s.request({ access: access(), requirement: req, requester });
      expect((await s.decide(id, approver('alice', ['stewards']), 'approve')).status).toBe('pending');
      expect((await s.decide(id, approver('carol', ['stewards']), 'approve')).status).toBe('pending');
      expect((await s.decide(id, approver('sec', ['security']), 'approve')).status).toBe('granted');
    });

    it('with any_of counts approvals from any listed group', async () => {
      const s = store();
      const req = requirement({ approver_groups: ['stewards', 'security'], min_approvals: 2 });
      const { id } = await s.request({ access: access(), requirement: req, requester });
      await s.decide(id, approver('alice', ['stewards']), 'approve');
      expect((await s.decide(id, approver('sec', ['security']), 'approve')).status).toBe('granted');
    });

    it('a denial ends the request with the approver and reason', async () => {
      const s = store();
      const { id } = await s.request({
        access: access(),
        requirement: requirement({ min_approvals: 2 }),
        requester,
      });
      await s.decide(id, approver('alice'), 'approve');
      const denied = await s.decide(id, approver('bob'), 'deny', 'not for this purpose');
      expect(denied).toMatchObject({
        status: 'denied',
        denied_by: 'bob',
        denied_reason: 'not for this purpose',
      });
      expect((await refusal(s.decide(id, approver('carol'), 'approve'))).message).toContain('denied');
    });

    it('loses no decision when approvers in several processes decide at once', async () => {
      const { id } = await store().request({
        access: access(),
        requirement: requirement({ min_approvals: 6 }),
        requester,
      });
      const names = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'];
      // Separate store objects share nothing in memory: only the lock file orders them.
      await Promise.all(names.map((n) => store().decide(id, approver(n), 'approve')));
      const state = await store().get(id);
      expect(state?.status).toBe('granted');
      expect([...(state?.approvers ?? [])].sort()).toEqual(names);
    });

    it('creates one request when several runs ask for the same access at once', async () => {
      const results = await Promise.all(
        [1, 2, 3, 4, 5].map(() =>
          store().request({ access: access(), requirement: requirement(), requester }),
        ),
      );
      expect(new Set(results.map((r) => r.id)).size).toBe(1);
      expect(results.filter((r) => r.created)).toHaveLength(1);
    });

    it('records one decision when one approver sends the same decision twice at once', async () => {
      const { id } = await store().request({
        access: access(),
        requirement: requirement({ min_approvals: 2 }),
        requester,
      });
      const outcomes = await Promise.allSettled(
        [1, 2, 3].map(() => store().decide(id, approver('alice'), 'approve')),
      );
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      expect((await store().get(id))?.decisions).toHaveLength(1);
    });
  });
}
