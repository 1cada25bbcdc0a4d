import { type KeyObject, sign } from 'node:crypto';
import { type FileHandle, mkdir, open, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fsyncPath } from '../core/atomic-file.js';
import { SluiceError, toSluiceError } from '../core/errors.js';
import { withFileLock } from '../core/file-lock.js';
import {
  checkCheckpoint,
  checkLink,
  checkpointMessage,
  GENESIS_HASH,
  type LineCheckFailure,
  parseRecordLine,
} from './audit-chain.js';
import {
  type AuditEventInput,
  type AuditRecord,
  type CheckpointEvent,
  RESERVED_RECORD_FIELDS,
} from './audit-event.js';
import { canonicalHash, canonicalJson } from './canonical-json.js';
import { type SigningKey, signingKeyFrom } from './signing.js';
import { verifyAuditLog } from './verify-audit-log.js';

export interface AuditLogOptions {
  /** Ed25519 key for signed checkpoints. Without it no checkpoints are written. */
  signingKey?: SigningKey | KeyObject;
  /** Append a signed checkpoint after every N records (and always on `close()`). */
  checkpointEvery?: number;
  /** What to check before the first append: the last two lines (default) or the whole chain. */
  verifyOnOpen?: 'tail' | 'full';
  /** Clock for `ts`; tests pin it. */
  now?: () => Date;
}

interface ChainState {
  seq: number;
  head: string;
  size: number;
  tailIsCheckpoint: boolean;
}

const LOCK_TIMEOUT_MS = 10_000;
const STALE_LOCK_MS = 30_000;

// One queue per file within the process, so two AuditLog objects on one path never fork the chain.
const queues = new Map<string, Promise<unknown>>();

/**
 * An append-only, hash-chained JSONL audit log. Each line is
 * `{ seq, ts, prev_hash, ...event, hash }`, where `hash` is the SHA-256 of the RFC 8785 form of
 * the record without `hash` and `prev_hash` is the previous line's `hash`. Every append is
 * written with `O_APPEND` in one `write` and fsync'd before it resolves; appends are serialised.
 * A log whose end does not verify is refused (fail closed).
 *
 * Several processes on one machine may append to one file: each append holds `<path>.lock`, and
 * records other processes appended are checked to chain from this log's head before the next
 * write (anything else, including a file that shrank, is refused). Writers on different machines
 * sharing a network file system are not supported: use one writer (the proxy server) there. Rotate
 * by closing and opening a new file, never by renaming an open one.
 *
 * @example
 * const log = await AuditLog.open('audit.jsonl', { signingKey, checkpointEvery: 1000 });
 * await log.append({ kind: 'admin', action: 'policy.changed', subject: 'alice', details: {} });
 * await log.close();
 */
export class AuditLog {
  readonly path: string;
  readonly #handle: FileHandle;
  readonly #key: SigningKey | undefined;
  readonly #checkpointEvery: number;
  readonly #now: () => Date;
  readonly #queueKey: string;
  #state: ChainState;
  #sinceCheckpoint = 0;
  #failure: SluiceError | undefined;
  #closed = false;

  private constructor(path: string, handle: FileHandle, state: ChainState, options: AuditLogOptions) {
    this.path = path;
    this.#handle = handle;
    this.#state = state;
    this.#key =
      options.signingKey === undefined
        ? undefined
        : 'privateKey' in options.signingKey
          ? options.signingKey
          : signingKeyFrom(options.signingKey);
    this.#checkpointEvery = options.checkpointEvery ?? 0;
    this.#now = options.now ?? (() => new Date());
    this.#queueKey = resolve(path);
  }

  /** Opens (creating if needed) the log at `path` and checks its end before anything is appended. */
  static async open(path: string, options: AuditLogOptions = {}): Promise<AuditLog> {
    const every = options.checkpointEvery;
    if (every !== undefined && (!Number.isSafeInteger(every) || every < 1)) {
      throw new SluiceError('USAGE', `\`checkpointEvery\` must be a positive integer, got ${every}.`);
    }
    if (every !== undefined && options.signingKey === undefined) {
      throw new SluiceError(
        'USAGE',
        `Audit log \`${path}\` is asked for checkpoints every ${every} records but has no signing key. Give a \`signingKey\`.`,
      );
    }
    if (options.verifyOnOpen === 'full') {
      const existing = await stat(path).catch(() => null);
      if (existing !== null) {
        const result = await verifyAuditLog(path);
        if (!result.ok) throw refuse(path, result.problem ?? 'does not verify');
      }
    }
    await mkdir(dirname(resolve(path)), { recursive: true });
    const created = (await stat(path).catch(() => null)) === null;
    let handle: FileHandle;
    try {
      handle = await open(path, 'a+', 0o640);
    } catch (cause) {
      throw new SluiceError(
        'SINK_FAILED',
        `Audit log \`${path}\` cannot be opened for appending (${(cause as NodeJS.ErrnoException).code ?? 'error'}). Check the directory exists and is writable.`,
        { context: { file: path }, cause },
      );
    }
    try {
      if (created) await fsyncPath(dirname(resolve(path))).catch(() => undefined);
      const state = await readChainState(path, handle, options);
      return new AuditLog(path, handle, state, options);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** Hash of the last record written, or null while the log is empty. Await pending appends first. */
  head(): string | null {
    return this.#state.seq === 0 ? null : this.#state.head;
  }

  /** Number of records in the log (the `seq` of the last one). */
  get records(): number {
    return this.#state.seq;
  }

  /** Appends one event; resolves with the written record once it is on disk. */
  append<E extends AuditEventInput>(event: E): Promise<AuditRecord<E>> {
    try {
      this.#assertWritable();
      assertAppendable(event);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#enqueue(async () => {
      const record = await this.#write(event);
      this.#sinceCheckpoint += 1;
      if (this.#key && this.#checkpointEvery > 0 && this.#sinceCheckpoint >= this.#checkpointEvery) {
        await this.#writeCheckpoint(this.#key);
      }
      return record as AuditRecord<E>;
    });
  }

  /** Appends a signed checkpoint over the current head now; null when there is nothing to sign. */
  checkpoint(): Promise<AuditRecord<CheckpointEvent> | null> {
    const key = this.#key;
    if (key === undefined) {
      return Promise.reject(
        new SluiceError(
          'USAGE',
          `Audit log \`${this.path}\` has no signing key, so it cannot write checkpoints.`,
        ),
      );
    }
    try {
      this.#assertWritable();
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#enqueue(async () =>
      this.#state.seq === 0 || this.#state.tailIsCheckpoint ? null : this.#writeCheckpoint(key),
    );
  }

  /** Resolves when every append made so far has settled. */
  async flush(): Promise<void> {
    await (queues.get(this.#queueKey) ?? Promise.resolve());
  }

  /** Writes a final checkpoint (with a signing key) and closes the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      if (this.#key && this.#failure === undefined) await this.checkpoint();
      await this.flush();
    } finally {
      this.#closed = true;
      await this.#handle.close();
    }
  }

  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const previous = queues.get(this.#queueKey) ?? Promise.resolve();
    const next = previous.then(() => {
      this.#assertWritable();
      return task();
    });
    queues.set(
      this.#queueKey,
      next.catch(() => undefined),
    );
    return next;
  }

  #assertWritable(): void {
    if (this.#closed) {
      throw new SluiceError('USAGE', `Audit log \`${this.path}\` is closed; open it again to append.`);
    }
    if (this.#failure) throw this.#failure;
  }

  #write(event: AuditEventInput | CheckpointEvent): Promise<AuditRecord> {
    // Other processes (concurrent runs, approvers) append to the same file: take turns, so each
    // record chains from the head the previous writer left.
    return withFileLock(
      this.path,
      { timeoutMs: LOCK_TIMEOUT_MS, staleMs: STALE_LOCK_MS, what: `Audit log \`${this.path}\`` },
      () => this.#writeLocked(event),
    );
  }

  async #writeLocked(event: AuditEventInput | CheckpointEvent): Promise<AuditRecord> {
    const info = await this.#handle.stat();
    if (info.size !== this.#state.size) await this.#catchUp(info.size);
    const seq = this.#state.seq + 1;
    // Round-trip through JSON so the hash covers exactly what a reader will parse back.
    const body = JSON.parse(
      JSON.stringify({ seq, ts: this.#now().toISOString(), prev_hash: this.#state.head, ...event }),
    ) as Record<string, unknown>;
    const hash = canonicalHash(body);
    const record = { ...body, hash } as unknown as AuditRecord;
    const bytes = Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
    try {
      const { bytesWritten } = await this.#handle.write(bytes, 0, bytes.length);
      if (bytesWritten !== bytes.length)
        throw new Error(`short write (${bytesWritten} of ${bytes.length} bytes)`);
      await this.#handle.sync();
    } catch (cause) {
      // The file may now end in a partial line; refuse further appends rather than fork the chain.
      const err = toSluiceError(cause, 'SINK_FAILED');
      this.#failure = new SluiceError(
        err.code,
        `Audit log \`${this.path}\` could not be written (${err.message}); no further events are accepted. Run \`pipeline audit verify ${this.path}\` before using it again.`,
        { context: { file: this.path }, cause },
      );
      throw this.#failure;
    }
    this.#state = {
      seq,
      head: hash,
      size: this.#state.size + bytes.length,
      tailIsCheckpoint: event.kind === 'checkpoint',
    };
    return record;
  }

  /**
   * Another writer changed the file since our last write. Continue only if it appended whole
   * records that chain from our head; a shrunk or rewritten file is refused, so a truncation
   * while the log is open cannot be papered over by our next record.
   */
  async #catchUp(size: number): Promise<void> {
    const { size: known } = this.#state;
    if (size < known) {
      throw refuse(this.path, `it shrank from ${known} to ${size} bytes while open: lines were removed`);
    }
    const bytes = Buffer.alloc(size - known);
    await this.#handle.read(bytes, 0, bytes.length, known);
    if (bytes[bytes.length - 1] !== 0x0a) {
      throw refuse(this.path, 'another writer left an incomplete line at its end');
    }
    let { seq, head, tailIsCheckpoint } = this.#state;
    for (const text of bytes.toString('utf8').slice(0, -1).split('\n')) {
      const parsed = parseRecordLine(text);
      if (!('record' in parsed)) throw refuse(this.path, `a line another writer appended ${parsed.problem}`);
      const link = checkLink(parsed.record, seq + 1, head);
      if (link) throw refuse(this.path, `a line another writer appended ${link.problem}`);
      ({ seq, hash: head } = parsed.record);
      tailIsCheckpoint = parsed.record.kind === 'checkpoint';
    }
    this.#state = { seq, head, size, tailIsCheckpoint };
  }

  async #writeCheckpoint(key: SigningKey): Promise<AuditRecord<CheckpointEvent>> {
    const { head, seq } = this.#state;
    const sig = sign(null, checkpointMessage(head, seq), key.privateKey).toString('base64');
    const record = await this.#write({ kind: 'checkpoint', head, records: seq, key_id: key.keyId, sig });
    this.#sinceCheckpoint = 0;
    return record as AuditRecord<CheckpointEvent>;
  }
}

function assertAppendable(event: AuditEventInput): void {
  if (
    typeof event !== 'object' ||
    event === null ||
    typeof event.kind !== 'string' ||
    (event.kind as string) === ''
  ) {
    throw new SluiceError('INTERNAL', 'An audit event must be an object with a non-empty string `kind`.');
  }
  if ((event.kind as string) === 'checkpoint') {
    throw new SluiceError(
      'INTERNAL',
      'Audit event kind `checkpoint` is written only by the audit log itself.',
    );
  }
  for (const field of RESERVED_RECORD_FIELDS) {
    if (Object.hasOwn(event, field)) {
      throw new SluiceError(
        'INTERNAL',
        `Audit event \`${event.kind}\` has field \`${field}\`, which the audit log sets itself. Rename the field.`,
        { context: { kind: event.kind, field } },
      );
    }
  }
  // Throws on NaN, Infinity, lone surrogates and bigint, which a JSON round trip would alter silently.
  canonicalJson(event);
}

function refuse(path: string, problem: string): SluiceError {
  return new SluiceError(
    'INTEGRITY_FAILED',
    `Audit log \`${path}\` does not verify (${problem}), so nothing is appended to it. Run \`pipeline audit verify ${path}\` to see the first bad line; keep the file as evidence and restore it from a copy or start a new log.`,
    { context: { file: path } },
  );
}

/** Reads the last two lines and checks that they chain; returns where the next record goes. */
async function readChainState(
  path: string,
  handle: FileHandle,
  options: AuditLogOptions,
): Promise<ChainState> {
  const { size } = await handle.stat();
  if (size === 0) return { seq: 0, head: GENESIS_HASH, size, tailIsCheckpoint: false };
  const tail = await readTailLines(handle, size, 2);
  if (!tail.endsWithNewline) {
    throw refuse(path, 'its last line is incomplete: a write was cut short or the file was truncated');
  }
  const last = tail.lines.at(-1) ?? '';
  const parsedLast = parseRecordLine(last);
  if (!('record' in parsedLast)) throw refuse(path, `its last line ${parsedLast.problem}`);
  const record = parsedLast.record;
  let linkFailure: LineCheckFailure | undefined;
  const before = tail.lines.length > 1 ? tail.lines[tail.lines.length - 2] : undefined;
  if (before === undefined) {
    if (record.seq !== 1 || record.prev_hash !== GENESIS_HASH) {
      linkFailure = { reason: 'seq_mismatch', problem: 'its only line is not a first record' };
    }
  } else {
    const parsedBefore = parseRecordLine(before);
    if (!('record' in parsedBefore)) throw refuse(path, `its second-to-last line ${parsedBefore.problem}`);
    if (parsedBefore.record.seq !== record.seq - 1 || parsedBefore.record.hash !== record.prev_hash) {
      linkFailure = {
        reason: 'prev_hash_mismatch',
        problem: 'its last line does not follow the line before it',
      };
    }
  }
  if (linkFailure) throw refuse(path, linkFailure.problem);
  if (record.kind === 'checkpoint') {
    const key = options.signingKey;
    const signing = key === undefined ? undefined : 'privateKey' in key ? key : signingKeyFrom(key);
    const keys = signing ? { [signing.keyId]: signing.publicKey } : undefined;
    const rec = record as unknown as { key_id?: unknown };
    const checked = checkCheckpoint(record, keys && rec.key_id === signing?.keyId ? keys : undefined);
    if (checked.failure) throw refuse(path, `its last line ${checked.failure.problem}`);
  }
  return { seq: record.seq, head: record.hash, size, tailIsCheckpoint: record.kind === 'checkpoint' };
}

async function readTailLines(
  handle: FileHandle,
  size: number,
  want: number,
): Promise<{ lines: string[]; endsWithNewline: boolean }> {
  const chunkSize = 64 * 1024;
  let position = size;
  let buffer = Buffer.alloc(0);
  let segments: string[] = [];
  while (position > 0) {
    const length = Math.min(chunkSize, position);
    position -= length;
    const chunk = Buffer.alloc(length);
    await handle.read(chunk, 0, length, position);
    buffer = Buffer.concat([chunk, buffer]);
    segments = buffer.toString('utf8').split('\n');
    // With the trailing '' after the final newline, `want` whole lines need want + 2 segments.
    if (segments.length >= want + 2) break;
  }
  const endsWithNewline = buffer[buffer.length - 1] === 0x0a;
  if (endsWithNewline) segments.pop();
  const complete = position === 0 ? segments : segments.slice(1);
  return { lines: complete.slice(-want), endsWithNewline };
}
