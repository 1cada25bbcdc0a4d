import { open, readFile, stat, truncate } from 'node:fs/promises';
import { SluiceError } from '../core/errors.js';
import { withFileLock } from '../core/file-lock.js';
import type { ApprovalRecord, ApprovalState, Approver, PendingRequest } from './approval-state.js';
import { foldApprovals } from './fold-approvals.js';
import { decisionRecord, type NewApprovalRequest, requestRecord } from './store-records.js';

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
    return this.#locked(async () => {
      const next = requestRecord(await this.#read(), r, this.#now());
      if ('pending' in next) return { ...next.pending, created: false };
      await this.#append(next.record);
      return { ...next.state, created: true };
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
      const { record, state } = decisionRecord(
        await this.#read(),
        { id, approver, decision, reason },
        this.#now(),
        { name: `\`${this.path}\`` },
      );
      await this.#append(record);
      return state;
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
