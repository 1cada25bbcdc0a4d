import { setTimeout as sleep } from 'node:timers/promises';
import { SluiceError } from '../core/errors.js';
import type { ApprovalRecord, ApprovalState, Approver, PendingRequest } from './approval-state.js';
import type { ApprovalStore } from './approval-store.js';
import { foldApprovals } from './fold-approvals.js';
import { requestKey } from './requested-access.js';
import { decisionRecord, type NewApprovalRequest, requestRecord } from './store-records.js';

/** One database session, as the store needs it (the postgres connector's session satisfies it). */
export interface ApprovalDbSession {
  /** Rows as arrays of PostgreSQL text values. */
  query(text: string, params?: unknown[]): Promise<{ rows: (string | null)[][] }>;
  /** Ends the session; `destroy` closes its connection. */
  release(destroy: boolean): void;
}

export interface PostgresApprovalStoreOptions {
  /** Opens a session; called once per store operation (approvals are rare, connections are not kept). */
  connect: () => Promise<ApprovalDbSession>;
  /** The events table, optionally schema-qualified. Default `sluice_approvals`. */
  table?: string;
  /** Shown in messages instead of the DSN, e.g. the config connection name. */
  describe?: string;
  /** Clock; tests move it to check expiry. */
  now?: () => Date;
  /** Attempts of a transaction the server aborts as a serialization failure. Default 20. */
  maxAttempts?: number;
}

const TABLE_NAME = /^(?:[A-Za-z_][A-Za-z0-9_]{0,62}\.)?[A-Za-z_][A-Za-z0-9_]{0,62}$/;
// Serialization failure and deadlock: the transaction did nothing and can run again.
const RETRYABLE = new Set(['40001', '40P01']);
// Two sessions creating the missing table at once: the loser sees the table (42P07), its row type
// or sequence (42710), or the catalog's unique index (23505) taken by the other.
const CREATE_RACE = new Set(['23505', '42P07', '42710']);

/** The table the store creates when missing (`{table}` is the configured name). */
export function approvalTableDdl(table: string): string[] {
  const quoted = quoteTable(table);
  const name = table.split('.').at(-1);
  const byId = quoteIdent(`${name}_approval_id`);
  const byKey = quoteIdent(`${name}_request_key`);
  return [
    `CREATE TABLE IF NOT EXISTS ${quoted} (
  seq bigserial PRIMARY KEY,
  approval_id text NOT NULL,
  request_key text,
  record jsonb NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
)`,
    // Index scans keep SERIALIZABLE's predicate locks to one request, so approvers of different
    // requests do not abort each other.
    `CREATE INDEX IF NOT EXISTS ${byId} ON ${quoted} (approval_id)`,
    `CREATE INDEX IF NOT EXISTS ${byKey} ON ${quoted} (request_key) WHERE request_key IS NOT NULL`,
  ];
}

/**
 * Approval requests and decisions as an append-only events table in PostgreSQL, for deployments
 * where runs and approvers are on several machines. State is the fold of the events
 * (`foldApprovals`), exactly as for the file store. Each change reads the events it checks and
 * appends one in a SERIALIZABLE transaction, retried on serialization failure, so concurrent
 * approvers never lose an update and each decision is recorded once.
 */
export class PostgresApprovalStore implements ApprovalStore {
  readonly table: string;
  readonly #quoted: string;
  readonly #connect: () => Promise<ApprovalDbSession>;
  readonly #describe: string;
  readonly #now: () => Date;
  readonly #maxAttempts: number;
  #ready: Promise<void> | undefined;

  constructor(options: PostgresApprovalStoreOptions) {
    this.table = options.table ?? 'sluice_approvals';
    if (!TABLE_NAME.test(this.table)) {
      throw new SluiceError(
        'CONFIG_INVALID',
        `The approvals table \`${this.table}\` is not a plain table name. Use letters, digits and \`_\`, optionally \`schema.table\`.`,
        { context: { table: this.table } },
      );
    }
    this.#quoted = quoteTable(this.table);
    this.#connect = options.connect;
    this.#describe = options.describe ?? 'the approvals database';
    this.#now = options.now ?? (() => new Date());
    this.#maxAttempts = options.maxAttempts ?? 20;
  }

  async request(r: NewApprovalRequest): Promise<PendingRequest & { created: boolean }> {
    const key = requestKey(r.access);
    return this.#transaction(async (session) => {
      const next = requestRecord(await this.#records(session, 'key', key), r, this.#now());
      if ('pending' in next) return { ...next.pending, created: false };
      await this.#append(session, next.record);
      return { ...next.state, created: true };
    });
  }

  async find(key: string): Promise<ApprovalState | undefined> {
    return this.#transaction(async (session) => {
      const states = [...foldApprovals(await this.#records(session, 'key', key), this.#now()).values()];
      return states.filter((s) => s.key === key).at(-1);
    });
  }

  async get(id: string): Promise<ApprovalState | undefined> {
    return this.#transaction(async (session) =>
      foldApprovals(await this.#records(session, 'id', id), this.#now()).get(id),
    );
  }

  async decide(
    id: string,
    approver: Approver,
    decision: 'approve' | 'deny',
    reason?: string,
  ): Promise<ApprovalState> {
    return this.#transaction(async (session) => {
      const { record, state } = decisionRecord(
        await this.#records(session, 'id', id),
        { id, approver, decision, reason },
        this.#now(),
        { name: `table \`${this.table}\` of ${this.#describe}`, context: { table: this.table } },
      );
      await this.#append(session, record);
      return state;
    });
  }

  async list(filter: { pending?: boolean } = {}): Promise<ApprovalState[]> {
    return this.#transaction(async (session) => {
      const states = [...foldApprovals(await this.#records(session, 'all'), this.#now()).values()];
      return filter.pending ? states.filter((s) => s.status === 'pending') : states;
    });
  }

  /** The events of one request id, of every request for a key, or all, in append order. */
  async #records(
    session: ApprovalDbSession,
    by: 'id' | 'key' | 'all',
    value?: string,
  ): Promise<ApprovalRecord[]> {
    const where =
      by === 'id'
        ? 'WHERE approval_id = $1'
        : by === 'key'
          ? `WHERE approval_id IN (SELECT approval_id FROM ${this.#quoted} WHERE request_key = $1)`
          : '';
    const { rows } = await session.query(
      `SELECT seq, record FROM ${this.#quoted} ${where} ORDER BY seq`,
      value === undefined ? [] : [value],
    );
    return rows.map((row) => {
      try {
        return JSON.parse(row[1] ?? '') as ApprovalRecord;
      } catch (cause) {
        throw new SluiceError(
          'INTEGRITY_FAILED',
          `Row \`seq = ${row[0]}\` of the approvals table \`${this.table}\` is not an approval record. Restore the table from a backup; approvals cannot be trusted until then.`,
          { cause, context: { table: this.table, seq: row[0] } },
        );
      }
    });
  }

  async #append(session: ApprovalDbSession, record: ApprovalRecord): Promise<void> {
    await session.query(
      `INSERT INTO ${this.#quoted} (approval_id, request_key, record) VALUES ($1, $2, $3::jsonb)`,
      [record.id, record.type === 'request' ? record.key : null, JSON.stringify(record)],
    );
  }

  async #transaction<T>(fn: (session: ApprovalDbSession) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const session = await this.#open();
      try {
        if (this.#ready === undefined) {
          this.#ready = this.#ensureTable(session);
          this.#ready.catch(() => {
            this.#ready = undefined;
          });
        }
        await this.#ready;
        await session.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
        const result = await fn(session);
        await session.query('COMMIT');
        return result;
      } catch (err) {
        await session.query('ROLLBACK').catch(() => undefined);
        if (RETRYABLE.has(sqlState(err)) && attempt < this.#maxAttempts) {
          // Jitter spreads out approvers who collided so the next attempt mostly goes through.
          await sleep(5 + Math.floor(Math.random() * 20 * Math.min(attempt, 5)));
          continue;
        }
        throw this.#failure(err);
      } finally {
        session.release(true);
      }
    }
  }

  async #ensureTable(session: ApprovalDbSession): Promise<void> {
    // Checking first lets a role without CREATE use a table an administrator made.
    const { rows } = await session.query('SELECT to_regclass($1) IS NOT NULL', [this.#quoted]);
    if (rows[0]?.[0] === 't') return;
    for (const statement of approvalTableDdl(this.table)) {
      try {
        await session.query(statement);
      } catch (err) {
        if (!CREATE_RACE.has(sqlState(err))) throw err;
      }
    }
  }

  async #open(): Promise<ApprovalDbSession> {
    try {
      return await this.#connect();
    } catch (err) {
      throw this.#failure(err);
    }
  }

  #failure(err: unknown): unknown {
    if (err instanceof SluiceError) return err;
    const state = sqlState(err);
    if (state === '42501') {
      return new SluiceError(
        'PERMISSION_DENIED',
        `The approvals table \`${this.table}\` in ${this.#describe} cannot be used: permission denied. Grant SELECT and INSERT on it (and USAGE on its sequence), or CREATE on its schema so it can be created; see docs/approvals.md.`,
        { cause: err, context: { table: this.table, sqlstate: state } },
      );
    }
    return new SluiceError(
      'SOURCE_UNAVAILABLE',
      `The approvals table \`${this.table}\` in ${this.#describe} could not be read or written${state === '' ? '' : ` (SQLSTATE ${state})`}. Check that the database is reachable and retry.`,
      { cause: err, context: { table: this.table, ...(state === '' ? {} : { sqlstate: state }) } },
    );
  }
}

function sqlState(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  const cause = (err as { cause?: unknown } | null)?.cause;
  return cause === undefined || cause === err ? '' : sqlState(cause);
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function quoteTable(table: string): string {
  return table.split('.').map(quoteIdent).join('.');
}
