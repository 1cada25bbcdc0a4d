import { describe, expect, it } from 'vitest';
import { analyzeSql } from '../guard/analyze-sql.js';
import { queryFingerprint, type RequestedAccess, requestKey } from './requested-access.js';
import { access } from './test-request.js';

describe('requestKey', () => {
  const base = requestKey(access());

  it.each([
    ['query fingerprint', { query_fingerprint: 'other' }],
    ['query AST hash', { query_ast_hash: 'other' }],
    ['columns', { columns: ['main.customers.id'] }],
    ['mask type', { masks: [{ column: 'email', mask: 'redact', params: {} }] }],
    ['mask key id', { masks: [{ column: 'email', mask: 'hmac', key_id: 'prod', params: {} }] }],
    [
      'mask params',
      { masks: [{ column: 'email', mask: 'hmac', key_id: 'demo', params: { output: 'int64' } }] },
    ],
    ['purpose', { purpose: 'analytics' }],
    ['row budget', { row_limit: 1001 }],
    ['pipeline file', { pipeline_sha256: 'dd44' }],
    ['connection', { connection: 'prod' }],
    ['source', { source: 'clients' }],
    ['requester', { requester: { subject: 'eve', issuer: 'sluice-token' } }],
    ['relations', { relations: ['main.orders'] }],
  ])('changes when the %s changes', (_what, change: Partial<RequestedAccess>) => {
    expect(requestKey({ ...access(), ...change })).not.toBe(base);
  });

  it('changes when the row budget is lifted', () => {
    const { row_limit: _limit, ...unlimited } = access();
    expect(requestKey(unlimited)).not.toBe(base);
  });

  it('does not depend on the order of columns, relations or masks', () => {
    const a = access({
      columns: ['x.a', 'x.b'],
      masks: [
        { column: 'a', mask: 'redact', params: {} },
        { column: 'b', mask: 'null', params: {} },
      ],
    });
    const b = access({ columns: ['x.b', 'x.a'], masks: [...a.masks].reverse() });
    expect(requestKey(a)).toBe(requestKey(b));
  });

  it('tells queries apart that differ only in a literal, through the AST hash', async () => {
    const one = 'SELECT id FROM customers WHERE country = $$DE$$';
    const two = 'SELECT id FROM customers WHERE country = $$FR$$';
    // The libpg-query fingerprint ignores literals, so it alone would let an approval cover both.
    expect(await queryFingerprint(one)).toBe(await queryFingerprint(two));
    const [a, b] = await Promise.all([analyzeSql(one), analyzeSql(two)]);
    const key = async (sql: string, astHash: string) =>
      requestKey(access({ query_fingerprint: await queryFingerprint(sql), query_ast_hash: astHash }));
    expect(await key(one, a.facts.astHash)).not.toBe(await key(two, b.facts.astHash));
  });
});
