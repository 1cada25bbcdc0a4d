import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { redactCredentials, toPostgresError } from './errors.js';

function serverError(code: string, message: string, extra: Record<string, string> = {}) {
  return Object.assign(new Error(message), { code, severity: 'ERROR', ...extra });
}

const scope = { source: 'customers', secrets: ['postgres://app:pw-123@db/prod', 'pw-123'] };

describe('PostgreSQL error classification', () => {
  it.each([
    ['57P01', 'terminating connection due to administrator command', 'SOURCE_UNAVAILABLE', true, 1],
    ['40001', 'could not serialize access', 'SOURCE_UNAVAILABLE', true, 1],
    ['08006', 'connection failure', 'SOURCE_UNAVAILABLE', true, 1],
    ['57014', 'canceling statement due to statement timeout', 'TIMEOUT', true, 1],
    ['42601', 'syntax error at or near "SELEC"', 'QUERY_INVALID', false, 2],
    ['42P01', 'relation "nope" does not exist', 'QUERY_INVALID', false, 2],
    ['42703', 'column "e_mail" does not exist', 'QUERY_INVALID', false, 2],
    ['42501', 'permission denied for table vault', 'PERMISSION_DENIED', false, 3],
  ])('maps SQLSTATE %s to %s', (state, message, code, retryable, exit) => {
    const err = toPostgresError(serverError(state, message, { hint: 'try this' }), scope);
    expect(err.code).toBe(code);
    expect(err.retryable).toBe(retryable);
    expect(err.exitCode).toBe(exit);
    expect(err.context).toMatchObject({ sqlstate: state, hint: 'try this', source: 'customers' });
    expect(err.message).toContain('`customers`');
  });

  it('names the object the server complained about', () => {
    expect(toPostgresError(serverError('42P01', 'relation "nope" does not exist'), scope).message).toContain(
      '`nope`',
    );
    expect(
      toPostgresError(serverError('42501', 'permission denied for table vault'), scope).message,
    ).toContain('`vault`');
  });

  it('keeps value-quoting data errors out of the message and context', () => {
    const err = toPostgresError(
      serverError('22P02', 'invalid input syntax for type integer: "555-12-3456"', {
        detail: 'value 555-12-3456',
      }),
      scope,
    );
    expect(err.code).toBe('SOURCE_FAILED');
    expect(JSON.stringify(err)).not.toContain('555-12-3456');
    expect(err.context.sqlstate).toBe('22P02');
  });

  it('treats network failures as retryable and never shows the DSN', () => {
    const raw = Object.assign(new Error('connect ECONNREFUSED via postgres://app:pw-123@db/prod'), {
      code: 'ECONNREFUSED',
    });
    const err = toPostgresError(raw, scope);
    expect(err.code).toBe('SOURCE_UNAVAILABLE');
    expect(err.retryable).toBe(true);
    expect(inspect(err, { depth: 5 })).not.toContain('pw-123');
  });
});

describe('redactCredentials', () => {
  it('removes known secrets and any user:password@ in a URL', () => {
    expect(redactCredentials('dsn postgres://app:pw-123@db/prod failed', scope.secrets)).not.toContain(
      'pw-123',
    );
    expect(redactCredentials('see postgresql://u:other@h:5432/d', [])).toBe(
      'see postgresql://u:[redacted]@h:5432/d',
    );
  });
});
