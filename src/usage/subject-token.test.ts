import { createHash } from 'node:crypto';
import { Field, Utf8, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { fpeConfigSchema, fpeMask } from '../transforms/fpe-mask.js';
import { maskTestContext } from '../transforms/mask-test-context.js';
import { redactPiiConfigSchema, redactPiiMask } from '../transforms/redact-pii-mask.js';
import { parseColumnRef, relationMatches } from './column-ref.js';
import { planSubjectSearch } from './subject-token.js';

const keys = maskTestContext().keys;

async function maskOne(kernel: Awaited<ReturnType<typeof fpeMask.create>>, column: string, value: string) {
  return String(kernel(vectorFromArray([value], new Utf8()), new Field(column, new Utf8(), true)).get(0));
}

describe('the token searched for a data subject', () => {
  it('is the token the redact_pii mask writes into free text in hmac mode', async () => {
    const config = redactPiiConfigSchema.parse({
      mask: 'redact_pii',
      replace: 'hmac',
      key_id: 'a',
      token_length: 24,
    });
    const masked = await maskOne(
      await redactPiiMask.create(config, maskTestContext()),
      'body',
      'write to jo@example.com now',
    );
    const plan = await planSubjectSearch(
      [{ mask: 'redact_pii', key_id: 'a', params: { replace: 'hmac', token_length: 24 } }],
      'body',
      'jo@example.com',
      keys,
    );
    expect(plan.method).toBe('token');
    if (plan.method !== 'token' || plan.match.kind !== 'contains')
      throw new Error('expected a substring match');
    expect(plan.match.text).toHaveLength(24);
    expect(masked).toContain(plan.match.text);
  });

  it('is the fpe ciphertext under the source column\u2019s tweak', async () => {
    const config = fpeConfigSchema.parse({ mask: 'fpe', key_id: 'a' });
    const masked = await maskOne(await fpeMask.create(config, maskTestContext()), 'ssn', '123-45-6789');
    const plan = await planSubjectSearch(
      [{ mask: 'fpe', key_id: 'a', params: {} }],
      'ssn',
      '123-45-6789',
      keys,
    );
    expect(plan).toMatchObject({ method: 'token', match: { kind: 'equals', text: masked } });
  });

  it('differs between keys, and a value that fpe cannot take fails without quoting it', async () => {
    const a = await planSubjectSearch(
      [{ mask: 'hmac', key_id: 'a', params: { output: 'hex' } }],
      'email',
      'x@y.z',
      keys,
    );
    const b = await planSubjectSearch(
      [{ mask: 'hmac', key_id: 'b', params: { output: 'hex' } }],
      'email',
      'x@y.z',
      keys,
    );
    expect(a).not.toEqual(b);
    const error = await planSubjectSearch(
      [{ mask: 'fpe', key_id: 'a', params: {} }],
      'ssn',
      '98',
      keys,
    ).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).not.toContain('98');
    expect((error as Error).message).toContain('`ssn`');
  });

  it('is the raw value\u2019s SHA-256 for an unmasked column, and nothing for a redacted one', async () => {
    expect(await planSubjectSearch([], 'country', 'DE', keys)).toEqual({
      method: 'raw',
      match: { kind: 'sha256', hex: createHash('sha256').update('DE').digest('hex') },
    });
    expect(
      await planSubjectSearch([{ mask: 'null', key_id: null, params: {} }], 'phone', '555', keys),
    ).toMatchObject({
      method: 'not_identifiable',
    });
  });
});

describe('column names', () => {
  it('parse with or without the connection and match relations with or without their schema', () => {
    expect(parseColumnRef('demo.customers.email', 'required')).toEqual({
      connection: 'demo',
      relation: 'customers',
      column: 'email',
    });
    expect(parseColumnRef('customers.email', 'optional')).toEqual({
      connection: undefined,
      relation: 'customers',
      column: 'email',
    });
    expect(() => parseColumnRef('customers.email', 'required')).toThrow(/connection\.table\.column/);
    expect(relationMatches('main.customers', 'customers')).toBe(true);
    expect(relationMatches('customers', 'public.customers')).toBe(true);
    expect(relationMatches('customers_old', 'customers')).toBe(false);
  });
});
