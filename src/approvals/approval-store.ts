import { randomBytes } from 'node:crypto';
import { open, readFile, stat, truncate } from 'node:fs/promises';
import { SluiceError } from '../core/errors.js';
import type { IdentityFacts } from '../core/events.js';
import { withFileLock } from '../core/file-lock.js';
import { parseDurationS } from '../identity/duration.js';
import type { ApprovalRequirement } from '../policy/decision.js';
import type { ApprovalRecord, ApprovalState, Approver, PendingRequest } from './approval-state.js';
import { checkApprover } from './check-approver.js';
import { foldApprovals } from './fold-approvals.js';
import { type RequestedAccess, requestKey } from './requested-access.js';

export interface NewApprovalRequest {
  access: RequestedAccess;
  requirement: ApprovalRequirement;
  requester: IdentityFacts;
}

/** Where approval requests and decisions are kept. */
export interface ApprovalStore {
  /** Creates a request, or returns the pending one for the same access (`created: false`). */
  request(r: NewApprovalRequest): Promise<PendingRequest & { created: boolean }>;
  /** The latest request for a request key, as of now. */
  find(key: string): Promise<ApprovalState | undefined>;
  get(id: string): Promise<ApprovalState | undefined>;
  /** Records a decision after checking the rules; throws `POLICY_DENIED` or `USAGE` when refused. */
  decide(
    id: string,
    approver: Approver,
    decision: 'approve' | 'deny',
    reason?: string,
  ): Promise<ApprovalState>;
  list(filter?: { pending?: boolean }): Promise<ApprovalState[]>;
}

export interface FileApprovalStoreOptions {
  /** Clock; tests move it to check expiry. */
  now?: () => Date;
  /** How long to wait for another process's lock. */
  lockTimeoutMs?: number;
}

const STALE_LOCK_MS = 30_000;

/**
 * An append-only JSON-lines file of request and decision records; state is the fold of all
 * records. Each change takes `<file>.lock` (exclusive create), rereads the file, checks the rules
 * against what is there and appends one line, so concurrent approvers on one machine never lose
 * an update. Shared deployments across machines need a database store (not built yet).
 */
export class FileApprovalStore implements ApprovalStore {
  readonly path: string;
  readonly #now: () => Date;
  readonly #lockTimeoutMs: number;
  /** Bytes of whole lines at the last read (under the lock, before an append). */
  #complete = 0;

  constructor(path: string, options: FileApprovalStoreOptions = {}) {
    this.path = path;
    this.#now = options.now ?? (() => new Date());
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 10_000;
  }

  async request(r: NewApprovalRequest): Promise<PendingRequest & { created: boolean }> {
    const key = requestKey(r.access);
    return this.#locked(async () => {
      const now = this.#now();
      const states = foldApprovals(await this.#read(), now);
      const pending = [...states.values()].find((s) => s.key === key && s.status === 'pending');
      if (pending) return { ...(pending as PendingRequest), created: false };
      const requestTtlS = parseDurationS(r.requirement.request_ttl, 'The policy `request_ttl`');
      const record: ApprovalRecord = {
        type: 'request',
        id: newApprovalId(),
        key,
        at: now.toISOString(),
        request_expires_at: new Date(now.getTime() + requestTtlS * 1000).toISOString(),
        ttl_s: parseDurationS(r.requirement.ttl, 'The policy `ttl`'),
        access: r.access,
        requirement: r.requirement,
        requester: r.requester,
      };
      await this.#append(record);
      const state = foldApprovals([record], now).get(record.id) as PendingRequest;
      return { ...state, created: true };
    });
  }

  async find(key: string): Promise<ApprovalState | undefined> {
    const states = [...foldApprovals(await this.#read(), this.#now()).values()];
    return states.filter((s) => s.key === key).at(-1);
  }

  async get(id: string): Promise<ApprovalState | undefined> {
    return foldApprovals(await this.#read(), this.#now()).get(id);
  }

  async decide(
    id: string,
    approver: Approver,
    decision: 'approve' | 'deny',
    reason?: string,
  ): Promise<ApprovalState> {
    return this.#locked(async () => {
      const now = this.#now();
      const records = await this.#read();
      const state = foldApprovals(records, now).get(id);
      if (state === undefined) {
        throw new SluiceError(
          'USAGE',
          `No approval request \`${id}\` in \`${this.path}\`. List requests with \`pipeline approvals list --pending\`.`,
          { context: { approval_id: id } },
        );
      }
      checkApprover(state, approver, decision);
      const record: ApprovalRecord = {
        type: 'decision',
        id,
        at: now.toISOString(),
        approver,
        decision,
        ...(reason === undefined ? {} : { reason }),
      };
      await this.#append(record);
      return foldApprovals([...records, record], now).get(id) as ApprovalState;
    });
  }

  async list(filter: { pending?: boolean } = {}): Promise<ApprovalState[]> {
    const states = [...foldApprovals(await this.#read(), this.#now()).values()];
    return filter.pending ? states.filter((s) => s.status === 'pending') : states;
  }

  async #read(): Promise<ApprovalRecord[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        this.#complete = 0;
        return [];
      }
      throw new SluiceError(
        'CONFIG_NOT_FOUND',
        `The approvals file \`${this.path}\` cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}). Check its permissions.`,
        { cause: err, context: { file: this.path } },
      );
    }
    const lines = text.split('\n');
    // A last line without its newline is a write cut short by a crash: it never took effect, and
    // the next append cuts it off so it cannot corrupt the line written after it.
    const torn = lines.pop() ?? '';
    this.#complete = Buffer.byteLength(text) - Buffer.byteLength(torn);
    const records: ApprovalRecord[] = [];
    lines.forEach((line, i) => {
      if (line === '') return;
      try {
        records.push(JSON.parse(line) as ApprovalRecord);
      } catch (cause) {
        throw new SluiceError(
          'INTEGRITY_FAILED',
          `Line ${i + 1} of the approvals file \`${this.path}\` is not JSON. Restore the file from a backup; approvals cannot be trusted until then.`,
          { cause, context: { file: this.path, line: i + 1 } },
        );
      }
    });
    return records;
  }

  async #append(record: ApprovalRecord): Promise<void> {
    const size = (await stat(this.path).catch(() => undefined))?.size ?? 0;
    if (size > this.#complete) await truncate(this.path, this.#complete);
    const handle = await open(this.path, 'a', 0o640);
    try {
      await handle.write(`${JSON.stringify(record)}\n`);
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }

  #locked<T>(fn: () => Promise<T>): Promise<T> {
    return withFileLock(
      this.path,
      { timeoutMs: this.#lockTimeoutMs, staleMs: STALE_LOCK_MS, what: `The approvals file \`${this.path}\`` },
      fn,
    );
  }
}

/** A short id an approver can type: `apr_` and 12 hex digits. */
export function newApprovalId(): string {
  return `apr_${randomBytes(6).toString('hex')}`;
}
