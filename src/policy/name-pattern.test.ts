import { describe, expect, it } from 'vitest';
import { parsePolicy } from './load-policy.js';
import { compilePart, splitDotted } from './name-pattern.js';

describe('dotted name patterns', () => {
  it('splits on dots outside double quotes', () => {
    expect(splitDotted('crm.public.customers.email')).toEqual(['crm', 'public', 'customers', 'email']);
    expect(splitDotted('crm.public."odd.table"."say ""hi"""')).toEqual([
      'crm',
      'public',
      'odd.table',
      'say "hi"',
    ]);
  });

  it('refuses empty parts and unbalanced quotes', () => {
    expect(splitDotted('crm..customers')).toBeUndefined();
    expect(splitDotted('crm."customers')).toBeUndefined();
    expect(splitDotted('')).toBeUndefined();
  });

  it('matches `*` within a part, case-insensitively, and nothing else as a wildcard', () => {
    expect(compilePart('cust*')('Customers')).toBe(true);
    expect(compilePart('*_email')('work_email')).toBe(true);
    expect(compilePart('a.b')('aXb')).toBe(false);
    expect(compilePart('e?mail')('email')).toBe(false);
  });

  it('classifies a column whose name holds a dot through a quoted key', async () => {
    const policy = await parsePolicy(`version: 1
classes: { pii.code: { satisfied_by: [ { mask: redact } ] } }
classifications:
  crm.public.patients."diag.code": pii.code
`);
    expect(policy.classify('crm', 'patients', 'diag.code', 'postgres')).toEqual(['pii.code']);
    expect(policy.classify('crm', 'patients', 'diag', 'postgres')).toEqual([]);
  });
});
