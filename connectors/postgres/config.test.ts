import { describe, expect, it } from 'vitest';
import { postgresConfigSchema } from './config.js';

describe('postgres connection config', () => {
  it('reads the DSN from an env var and fills in safe defaults', () => {
    const config = postgresConfigSchema.parse({ type: 'postgres', dsn: { env: 'PG_DSN' } });
    expect(config).toEqual({
      type: 'postgres',
      dsn: { env: 'PG_DSN' },
      pool_size: 4,
      connect_timeout_ms: 10_000,
      statement_timeout_ms: 300_000,
      idle_in_transaction_session_timeout_ms: 60_000,
      copy_binary: true,
    });
  });

  it('rejects an inline DSN and says to use env or file, without echoing it', () => {
    const result = postgresConfigSchema.safeParse({ type: 'postgres', dsn: 'postgres://app:s3cret@db/prod' });
    expect(result.success).toBe(false);
    const text = JSON.stringify(result.error?.issues);
    expect(text).toContain('env');
    expect(text).toContain('file');
    expect(text).not.toContain('s3cret');
  });

  it('rejects unknown keys and half a client certificate', () => {
    expect(
      postgresConfigSchema.safeParse({ type: 'postgres', dsn: { env: 'X' }, pasword: 'x' }).success,
    ).toBe(false);
    const half = postgresConfigSchema.safeParse({
      type: 'postgres',
      dsn: { env: 'X' },
      ssl_cert_file: 'c.pem',
    });
    expect(half.error?.issues[0]?.path).toEqual(['ssl_key_file']);
  });

  it('describes every field for the generated reference', () => {
    const shape = postgresConfigSchema.shape;
    for (const [key, field] of Object.entries(shape)) {
      if (key !== 'type') expect(field.description, key).toBeTruthy();
    }
  });
});
