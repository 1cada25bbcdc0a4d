import { createHash } from 'node:crypto';
import type { PgConnectOptions, PgPool, PgSession } from './driver.js';

/*
 * Lifecycle of a shared snapshot (one per run and database):
 *
 * 1. Every PostgresSource of a run joins the group for its (run id, connection) when it first
 *    opens its pool (`describe` or `read`), and leaves it in `close()`. The engine closes every
 *    source in a `finally`, on success, failure and cancellation alike.
 * 2. The first `read` of a group with two or more members opens the coordinator: one more
 *    connection, `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`, `pg_export_snapshot()`.
 *    Every read of the group (including later ones) then starts its own transaction with
 *    `SET TRANSACTION SNAPSHOT '<id>'`, so all sources see the database at the same instant.
 *    A group of one never opens a coordinator: a single source needs no second connection.
 * 3. The coordinator transaction stays open, idle, until the last member leaves; then it is
 *    rolled back and its connection closed. Its `idle_in_transaction_session_timeout` is off (a
 *    long read of another source must not end it); if the process dies, the socket closes and the
 *    server ends the transaction.
 */

interface Group {
  members: number;
  exported: Promise<Coordinator> | undefined;
}

interface Coordinator {
  snapshotId: string;
  pool: PgPool;
  session: PgSession;
}

const groups = new Map<string, Group>();

/** A source's membership in its run's shared-snapshot group. */
export interface SharedSnapshotLease {
  /**
   * The exported snapshot to import, opening the coordinator on first use; `undefined` when the
   * source is alone in its group.
   */
  snapshotId(): Promise<string | undefined>;
  /** Leaves the group; the last member to leave closes the coordinator. Idempotent. */
  release(): Promise<void>;
}

/** Joins the group of `runId` on the database `options` reaches. */
export function joinSharedSnapshot(
  runId: string,
  options: PgConnectOptions,
  createPool: (options: PgConnectOptions) => PgPool,
): SharedSnapshotLease {
  // The key holds no credential in clear: a hash of where and as whom the source connects.
  const key = `${runId}\0${createHash('sha256')
    .update(JSON.stringify([options.host, options.port, options.user, options.password, options.database]))
    .digest('hex')}`;
  let group = groups.get(key);
  if (!group) {
    group = { members: 0, exported: undefined };
    groups.set(key, group);
  }
  group.members++;
  const joined = group;
  let released = false;

  return {
    async snapshotId() {
      if (!joined.exported && joined.members < 2) return undefined;
      joined.exported ??= openCoordinator(options, createPool);
      try {
        return (await joined.exported).snapshotId;
      } catch (err) {
        // A failed export is not cached: the failure is reported by this read, the next may retry.
        joined.exported = undefined;
        throw err;
      }
    },
    async release() {
      if (released) return;
      released = true;
      joined.members--;
      if (joined.members > 0) return;
      if (groups.get(key) === joined) groups.delete(key);
      const exported = joined.exported;
      joined.exported = undefined;
      if (!exported) return;
      const coordinator = await exported.catch(() => undefined);
      if (!coordinator) return;
      await coordinator.session.query('ROLLBACK').catch(() => undefined);
      coordinator.session.release(true);
      await coordinator.pool.end().catch(() => undefined);
    },
  };
}

async function openCoordinator(
  options: PgConnectOptions,
  createPool: (options: PgConnectOptions) => PgPool,
): Promise<Coordinator> {
  const pool = createPool({ ...options, max: 1 });
  let session: PgSession | undefined;
  try {
    session = await pool.session();
    await session.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows } = await session.query(
      `SELECT pg_export_snapshot(), set_config('idle_in_transaction_session_timeout', '0', true),
        set_config('statement_timeout', '0', true)`,
    );
    const snapshotId = String(rows[0]?.[0] ?? '');
    return { snapshotId, pool, session };
  } catch (err) {
    session?.release(true);
    await pool.end().catch(() => undefined);
    throw err;
  }
}

/** Number of open groups: for tests that check nothing is left behind. */
export function openSharedSnapshotGroups(): number {
  return groups.size;
}
