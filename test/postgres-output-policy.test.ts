import { describe, expect, it } from 'vitest';
import type { IdentityFacts } from '../src/core/events.js';
import { decideWrite, type WriteDecisionInput } from '../src/policy/decide-write.js';
import { compilePolicy } from '../src/policy/loaded-policy.js';
import { policySchema } from '../src/policy/policy-schema.js';

const alice: IdentityFacts = {
  subject: 'alice',
  issuer: 'idp',
  method: 'oidc',
  groups: ['ml'],
  verified: true,
};
const local: IdentityFacts = { subject: 'me', issuer: 'local', method: 'local', groups: [], verified: false };

function policy(extra: Record<string, unknown>) {
  return compilePolicy(
    policySchema.parse({
      version: 1,
      purposes: { 'model-training': { description: 'Training.' } },
      approvals: { approver_groups: ['stewards'] },
      ...extra,
    }),
  );
}

function write(table: string, overrides: Partial<WriteDecisionInput> = {}): WriteDecisionInput {
  return {
    identity: alice,
    purpose: 'model-training',
    connection: 'warehouse',
    connectionType: 'postgres',
    table,
    mode: 'replace',
    ...overrides,
  };
}

describe('write decisions', () => {
  it('does not restrict writes when the policy has no `writes` section', () => {
    const d = decideWrite(write('training'), policy({}));
    expect(d).toMatchObject({
      verdict: 'allow',
      table: 'public.training',
      reasons: [{ rule: 'no-writes-section' }],
    });
  });

  it('denies a write no rule grants and no protected entry covers (fail closed by default)', () => {
    const p = policy({ writes: { protected: [{ connection: 'warehouse', tables: ['analytics.*'] }] } });
    const d = decideWrite(write('public.scratch'), p);
    expect(d.verdict).toBe('deny');
    expect(d.reasons[0]?.rule).toBe('no-matching-write-rule');
  });

  it('allows unmatched writes only when the policy says `unmatched: allow`', () => {
    const p = policy({ writes: { unmatched: 'allow' } });
    expect(decideWrite(write('public.scratch'), p).verdict).toBe('allow');
  });

  it('needs an approval for a protected table, from the protected entry, rule or policy approvers in that order', () => {
    const p = policy({
      writes: {
        protected: [
          {
            connection: 'warehouse',
            tables: ['analytics.dash_*'],
            approvers: { approver_groups: ['bi-owners'] },
          },
          { connection: 'warehouse', tables: ['analytics.*'] },
        ],
        approvers: { approver_groups: ['write-stewards'], ttl: '1h' },
      },
    });
    const dash = decideWrite(write('analytics.dash_sales'), p);
    expect(dash.verdict).toBe('approval_required');
    expect(dash.approval?.approver_groups).toEqual(['bi-owners']);
    const other = decideWrite(write('ANALYTICS.Training'), p);
    expect(other).toMatchObject({ verdict: 'approval_required', table: 'analytics.training' });
    expect(other.approval).toMatchObject({ approver_groups: ['write-stewards'], ttl: '1h' });
  });

  it('a matching rule grants the write; it needs an approval when the rule or a protected entry says so', () => {
    const p = policy({
      writes: {
        protected: [{ connection: 'warehouse', tables: ['analytics.gold'] }],
        rules: [
          {
            id: 'ml-scratch',
            groups: ['ml'],
            purposes: ['*'],
            connections: ['warehouse'],
            tables: ['scratch.*'],
          },
          {
            id: 'ml-analytics',
            groups: ['ml'],
            purposes: ['model-training'],
            connections: ['warehouse'],
            tables: ['analytics.*'],
            require_approval: true,
          },
        ],
      },
    });
    expect(decideWrite(write('scratch.t'), p)).toMatchObject({
      verdict: 'allow',
      matched_rule: 'ml-scratch',
    });
    const gold = decideWrite(write('analytics.gold'), p);
    expect(gold).toMatchObject({ verdict: 'approval_required', matched_rule: 'ml-analytics' });
    expect(gold.approval?.reasons).toHaveLength(2);
    expect(gold.approval?.approver_groups).toEqual(['stewards']);
  });

  it('a rule does not grant unverified identities or undeclared purposes', () => {
    const p = policy({
      writes: {
        rules: [{ id: 'any', subjects: ['*'], purposes: ['*'], connections: ['*'], tables: ['*.*'] }],
      },
    });
    expect(decideWrite(write('scratch.t', { identity: local }), p).verdict).toBe('deny');
    expect(decideWrite(write('scratch.t', { purpose: 'ads' }), p).verdict).toBe('deny');
    expect(decideWrite(write('scratch.t'), p).verdict).toBe('allow');
  });

  it('denies a write that needs an approval when the policy names no approvers', () => {
    const loaded = compilePolicy(
      policySchema.parse({
        version: 1,
        purposes: { 'model-training': { description: 'Training.' } },
        writes: { protected: [{ connection: 'warehouse' }] },
      }),
    );
    const d = decideWrite(write('anything'), loaded);
    expect(d.verdict).toBe('deny');
    expect(d.reasons[0]?.message).toContain('names no approvers');
  });
});
