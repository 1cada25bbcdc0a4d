import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPgPool, type PgPool } from '../../connectors/postgres/driver.js';
import { admin, startTestDatabase } from '../../connectors/postgres/test/harness.js';
import type { SluiceError } from '../core/errors.js';
import { approvalStoreContract } from './approval-store-contract.js';
import { PostgresApprovalStore } from './postgres-approval-store.js';
import { access, approver, requester, requirement } from './test-request.js';

let pg: { url: string; stop(): Promise<void> };
let pools: PgPool[] = [];
let tables = 0;

beforeAll(async () => {
  pg = await startTestDatabase();
}, 120_000);
afterEach(async () => {
  await Promise.all(pools.map((p) => p.end()));
  pools = [];
});
afterAll(() => pg?.stop());

/** A store on its own pool: its own connections, as another machine would have. */
function storeOn(table: string, options: { now?: () => Date; url?: string } = {}): PostgresApprovalStore {
  const url = new URL(options.url ?? pg.url);
  const pool = createPgPool({
    host: url.hostname,
    port: Number(url.port),
    ...(url.username === '' ? {} : { user: decodeURIComponent(url.username) }),
    ...(url.password === '' ? {} : { password: decodeURIComponent(url.password) }),
    database: url.pathname.slice(1),
    application_name: 'sluice:approvals-test',
    max: 2,
    connectionTimeoutMillis: 10_000,
  });
  pools.push(pool);
  return new PostgresApprovalStore({
    table,
    connect: () => pool.session(),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
}

const freshTable = () => `approvals_t${++tables}`;

approvalStoreContract('PostgresApprovalStore', async () => {
  const table = freshTable();
  return { open: (now) => storeOn(table, { now }) };
});

describe('PostgresApprovalStore', () => {
  it('records every decision exactly once when many approvers on separate connections decide at once', async () => {
    const table = freshTable();
    const names = Array.from({ length: 12 }, (_, i) => `approver${i}`);
    const { id } = await storeOn(table).request({
      access: access(),
      requirement: requirement({ min_approvals: names.length }),
      requester,
    });
    // Each approver also sends its decision twice: the second must be refused, not recorded.
    const outcomes = await Promise.allSettled(
      [...names, ...names].map((n) => storeOn(table).decide(id, approver(n), 'approve')),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(names.length);
    for (const o of outcomes)
      if (o.status === 'rejected') expect((o.reason as SluiceError).code).toBe('USAGE');
    const state = await storeOn(table).get(id);
    expect(state?.status).toBe('granted');
    expect([...(state?.approvers ?? [])].sort()).toEqual([...names].sort());
    expect(state?.decisions).toHaveLength(names.length);
    const { rows } = await admin(
      pg.url,
      `SELECT count(*)::int AS n FROM ${table} WHERE approval_id = '${id}'`,
    );
    expect((rows[0] as { n: number }).n).toBe(names.length + 1);
  });

  it('grants only at the min_approvals-th approval, whichever order concurrent approvers commit in', async () => {
    const table = freshTable();
    const { id } = await storeOn(table).request({
      access: access(),
      requirement: requirement({ min_approvals: 3 }),
      requester,
    });
    const results = await Promise.all(
      ['a', 'b', 'c', 'd', 'e'].map((n) =>
        storeOn(table)
          .decide(id, approver(n), 'approve')
          .then(
            (s) => s.status,
            (e: SluiceError) => e.code,
          ),
      ),
    );
    // Two see pending, one grants, the rest find the request already decided.
    expect(results.filter((r) => r === 'pending')).toHaveLength(2);
    expect(results.filter((r) => r === 'granted')).toHaveLength(1);
    expect(results.filter((r) => r === 'USAGE')).toHaveLength(2);
    expect((await storeOn(table).get(id))?.approvers).toHaveLength(3);
  });

  it('creates its table when missing, and a role with only SELECT and INSERT can use an existing one', async () => {
    const table = freshTable();
    const { id } = await storeOn(table).request({ access: access(), requirement: requirement(), requester });
    await admin(
      pg.url,
      `DROP ROLE IF EXISTS approvals_app;
       CREATE ROLE approvals_app LOGIN PASSWORD 'app-pass';
       REVOKE CREATE ON SCHEMA public FROM PUBLIC;
       GRANT SELECT, INSERT ON ${table} TO approvals_app;
       GRANT USAGE ON SEQUENCE ${table}_seq_seq TO approvals_app;`,
    );
    const app = new URL(pg.url);
    app.username = 'approvals_app';
    app.password = 'app-pass';
    const granted = await storeOn(table, { url: app.toString() }).decide(id, approver('alice'), 'approve');
    expect(granted.status).toBe('granted');
    const err = await storeOn('approvals_elsewhere', { url: app.toString() })
      .list()
      .then(
        () => undefined,
        (e: unknown) => e as SluiceError,
      );
    expect(err?.code).toBe('PERMISSION_DENIED');
    expect(err?.message).toContain('`approvals_elsewhere`');
    expect(err?.message).not.toContain('app-pass');
  });

  it('says the database is unreachable without printing the connection string', async () => {
    const url = new URL(pg.url);
    url.port = '1';
    url.password = 'secret-pw';
    const err = await storeOn(freshTable(), { url: url.toString() })
      .list()
      .then(
        () => undefined,
        (e: unknown) => e as SluiceError,
      );
    expect(err?.code).toBe('SOURCE_UNAVAILABLE');
    expect(err?.message).not.toContain('secret-pw');
  });
});
