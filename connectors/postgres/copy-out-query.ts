// `COPY ... TO STDOUT` read straight off the connection's socket: the protocol's CopyData framing is
// parsed here and payload bytes are handed on as ranges of the socket's own chunks, so a million
// rows cost a few hundred chunks instead of a million Buffers.

/** Receives CopyData payload bytes `buf[start, end)`; returns false to stop delivery for now. */
export type CopyDataSink = (buf: Buffer, start: number, end: number) => boolean;

/** The parts of pg's `Connection` this query drives (the same ones pg-copy-streams uses). */
interface PgConnection {
  stream: {
    listeners(event: 'data'): ((chunk: Buffer) => void)[];
    on(event: 'data', listener: (chunk: Buffer) => void): unknown;
    removeListener(event: 'data', listener: (chunk: Buffer) => void): unknown;
    pause(): unknown;
    resume(): unknown;
  };
  query(text: string): void;
}

const COPY_DATA = 0x64; // 'd'
// Messages the server may send in the middle of a COPY; none of them matter to a COPY OUT.
const IGNORED = new Set([
  0x48, // 'H' CopyOutResponse
  0x4e, // 'N' NoticeResponse
  0x53, // 'S' ParameterStatus
  0x41, // 'A' NotificationResponse
]);
/** Received bytes beyond which the socket is paused until the consumer catches up. */
const HIGH_WATER = 4 << 20;
const LOW_WATER = 1 << 20;

type State = 'copying' | 'finishing' | 'done' | 'failed';

/**
 * A pg submittable (`client.query(new CopyOutQuery(sql))`) for `COPY ... TO STDOUT`. While the COPY
 * runs it owns the socket's data; at CopyDone or ErrorResponse it hands the remaining bytes back to
 * pg, which completes the query (or reports the server's error) as usual.
 */
export class CopyOutQuery {
  readonly text: string;
  #connection: PgConnection | undefined;
  #pgData: ((chunk: Buffer) => void) | undefined;
  #state: State = 'copying';
  #error: unknown;
  #wake: ((ok: boolean) => void) | undefined;
  readonly #queue: Buffer[] = [];
  /** Read position in `#queue[0]`. */
  #offset = 0;
  #queued = 0;
  #paused = false;
  /** Payload bytes of the current CopyData message not delivered yet. */
  #dataLeft = 0;
  /** Bytes of an ignored message still to skip. */
  #skipLeft = 0;
  /** A message header split across socket chunks. */
  readonly #header = Buffer.alloc(5);
  #headerLength = 0;
  readonly #onData = (chunk: Buffer): void => {
    // After a failure the connection is discarded; what still arrives is dropped.
    if (this.#state !== 'copying') return;
    this.#queue.push(chunk);
    this.#queued += chunk.length;
    if (this.#queued >= HIGH_WATER && !this.#paused) {
      this.#paused = true;
      this.#connection?.stream.pause();
    }
    this.#notify();
  };

  constructor(text: string) {
    this.text = text;
  }

  /** Called by pg when the query reaches the connection. */
  submit(connection: PgConnection): Error | undefined {
    const listeners = connection.stream.listeners('data');
    if (listeners.length !== 1) return new Error('the connection has an unexpected reader attached');
    this.#connection = connection;
    this.#pgData = listeners[0];
    connection.stream.removeListener('data', listeners[0] as (chunk: Buffer) => void);
    connection.stream.on('data', this.#onData);
    connection.query(this.text);
    return undefined;
  }

  /**
   * Hands received CopyData payload to `sink` until it returns false or the received bytes run out,
   * waiting for bytes when none are buffered. Resolves false once the COPY completed; rejects with
   * the server's error, a lost connection, or the reason given to `destroy`.
   */
  async read(sink: CopyDataSink): Promise<boolean> {
    for (;;) {
      if (this.#state === 'failed') throw this.#error;
      if (this.#state === 'done') return false;
      if (this.#state === 'copying' && this.#queue.length > 0) {
        this.#deliver(sink);
        if (this.#state === 'copying') return true;
        continue;
      }
      await new Promise<boolean>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  /** Stops the COPY on this side; a pending `read` rejects with `reason`. The connection must be discarded. */
  destroy(reason: Error): void {
    if (this.#state === 'done' || this.#state === 'failed') return;
    this.#fail(reason);
  }

  handleError(err: unknown): void {
    if (this.#state === 'done' || this.#state === 'failed') return;
    this.#fail(err);
  }

  handleCommandComplete(): void {}

  handleReadyForQuery(): void {
    if (this.#state !== 'finishing') return;
    this.#state = 'done';
    this.#notify();
  }

  // Replies a COPY never produces; reaching one means the statement was not a COPY.
  handleRowDescription(): void {
    this.handleError(new Error('the statement did not start a COPY'));
  }
  handleDataRow(): void {}
  handleEmptyQuery(): void {
    this.handleError(new Error('the statement did not start a COPY'));
  }
  handlePortalSuspended(): void {}
  handleCopyInResponse(): void {
    this.handleError(new Error('the statement did not start a COPY'));
  }
  handleCopyData(): void {}

  #fail(err: unknown): void {
    // pg's parser is not given the socket back mid-message: the session is discarded after a failure.
    this.#error = err;
    this.#state = 'failed';
    this.#queue.length = 0;
    this.#queued = 0;
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.(true);
  }

  #deliver(sink: CopyDataSink): void {
    const queue = this.#queue;
    while (queue.length > 0) {
      const buf = queue[0] as Buffer;
      const end = buf.length;
      let pos = this.#offset;
      while (pos < end) {
        const dataLeft = this.#dataLeft;
        if (dataLeft > 0) {
          const stop = end - pos > dataLeft ? pos + dataLeft : end;
          this.#dataLeft = dataLeft - (stop - pos);
          const more = sink(buf, pos, stop);
          pos = stop;
          if (!more) {
            this.#offset = pos;
            return;
          }
          continue;
        }
        if (this.#skipLeft > 0) {
          const n = Math.min(end - pos, this.#skipLeft);
          this.#skipLeft -= n;
          pos += n;
          continue;
        }
        const headerAt = pos;
        let code: number;
        let length: number;
        if (this.#headerLength === 0 && end - pos >= 5) {
          code = buf[pos] as number;
          length = buf.readInt32BE(pos + 1);
          pos += 5;
        } else {
          const n = Math.min(5 - this.#headerLength, end - pos);
          buf.copy(this.#header, this.#headerLength, pos, pos + n);
          this.#headerLength += n;
          pos += n;
          if (this.#headerLength < 5) continue;
          this.#headerLength = 0;
          code = this.#header[0] as number;
          length = this.#header.readInt32BE(1);
          if (code !== COPY_DATA && !IGNORED.has(code)) {
            // pg must see this message whole, header included.
            queue[0] = Buffer.concat([this.#header, buf.subarray(pos)]);
            this.#offset = 0;
            this.#finish();
            return;
          }
        }
        if (code === COPY_DATA) this.#dataLeft = length - 4;
        else if (IGNORED.has(code)) this.#skipLeft = length - 4;
        else {
          // CopyDone or ErrorResponse (or anything else): pg takes over from here.
          this.#offset = headerAt;
          this.#finish();
          return;
        }
      }
      queue.shift();
      this.#offset = 0;
      this.#queued -= end;
      if (this.#paused && this.#queued < LOW_WATER) {
        this.#paused = false;
        this.#connection?.stream.resume();
      }
    }
  }

  /** The COPY data ended: the rest of the received bytes go back to pg. */
  #finish(): void {
    this.#state = 'finishing';
    const rest = this.#queue.splice(0);
    if (rest.length > 0 && this.#offset > 0) rest[0] = (rest[0] as Buffer).subarray(this.#offset);
    this.#offset = 0;
    this.#queued = 0;
    this.#restore(rest);
  }

  #restore(rest: Buffer[]): void {
    const connection = this.#connection;
    const pgData = this.#pgData;
    if (!connection || !pgData) return;
    this.#pgData = undefined;
    connection.stream.removeListener('data', this.#onData);
    connection.stream.on('data', pgData);
    for (const chunk of rest) pgData(chunk);
    if (this.#paused) {
      this.#paused = false;
      connection.stream.resume();
    }
  }
}
