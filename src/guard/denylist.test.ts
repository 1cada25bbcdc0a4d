import { describe, expect, it } from 'vitest';
import { deniedFunctionReason, isFunctionAllowed } from './denylist.js';

describe('function denylist', () => {
  it('matches bare, schema-qualified and differently-cased names', () => {
    for (const name of ['pg_sleep', 'pg_catalog.pg_sleep', 'PG_SLEEP', 'other.Pg_Sleep']) {
      expect(deniedFunctionReason(name)?.entry).toBe('pg_sleep*');
    }
  });

  it('matches prefix entries and leaves harmless functions alone', () => {
    expect(deniedFunctionReason('pg_advisory_xact_lock_shared')?.entry).toBe('pg_advisory_*');
    expect(deniedFunctionReason('dblink_connect_u')?.entry).toBe('dblink*');
    for (const name of [
      'lower',
      'gen_random_uuid',
      'date_trunc',
      'xpath',
      'pg_catalog.count',
      'pg_size_pretty',
    ]) {
      expect(deniedFunctionReason(name)).toBeUndefined();
    }
  });

  it('matches schema-qualified entries only in that schema', () => {
    expect(deniedFunctionReason('net.worker_restart')?.entry).toBe('net.*');
    expect(deniedFunctionReason('cron.schedule')?.entry).toBe('cron.*');
    expect(deniedFunctionReason('schedule')).toBeUndefined();
  });

  it('applies extra entries from the configuration', () => {
    expect(deniedFunctionReason('md5', ['MD5'])?.reason).toBe('denied by configuration');
  });
});

describe('function allowlist', () => {
  it('lets a bare entry cover unqualified and pg_catalog calls only', () => {
    expect(isFunctionAllowed('lower', ['lower'])).toBe(true);
    expect(isFunctionAllowed('pg_catalog.lower', ['LOWER'])).toBe(true);
    expect(isFunctionAllowed('evil.lower', ['lower'])).toBe(false);
  });

  it('lets a qualified entry cover exactly that schema, unqualified calls resolving to pg_catalog', () => {
    expect(isFunctionAllowed('analytics.score', ['analytics.score'])).toBe(true);
    expect(isFunctionAllowed('count', ['pg_catalog.count'])).toBe(true);
    expect(isFunctionAllowed('score', ['analytics.score'])).toBe(false);
  });
});
