import type { ColumnBuilder } from './column-builder.js';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const EMPTY = Buffer.alloc(0);
/** Tuples located before their fields are handed to the builders, column by column. */
const PASS_ROWS = 1024;

function int32(buf: Buffer, p: number): number {
  return (
    ((buf[p] as number) << 24) |
    ((buf[p + 1] as number) << 16) |
    ((buf[p + 2] as number) << 8) |
    (buf[p + 3] as number)
  );
}

/**
 * Bytes of the tuple (or trailer) that starts at `head[0]` and goes on in `tail`, or -1 when
 * `tail` does not complete it.
 */
function splitTupleSize(head: Buffer, tail: Buffer): number {
  const total = head.length + tail.length;
  const byte = (i: number): number => (i < head.length ? head[i] : tail[i - head.length]) as number;
  if (total < 2) return -1;
  const fields = ((byte(0) << 24) >> 16) | byte(1);
  if (fields === -1) return 2;
  let p = 2;
  for (let col = 0; col < fields; col++) {
    if (p + 4 > total) return -1;
    const len = (byte(p) << 24) | (byte(p + 1) << 16) | (byte(p + 2) << 8) | byte(p + 3);
    p += len > 0 ? 4 + len : 4;
  }
  return p <= total ? p : -1;
}

/** A value of column `column` (0-based) could not be decoded. */
export class ColumnDecodeError extends Error {
  constructor(
    readonly column: number,
    readonly reason: unknown,
  ) {
    super(`column ${column}: ${reason instanceof Error ? reason.message : String(reason)}`);
  }
}

/** The COPY binary stream is malformed or ended before its trailer. */
export class CopyStreamError extends Error {}

/**
 * Decodes the byte stream of `COPY ... TO STDOUT (FORMAT binary)` straight into column builders:
 * field bytes are read in place, with no per-row objects. Chunks may split tuples anywhere.
 */
export class CopyBinaryDecoder {
  readonly #builders: ColumnBuilder[];
  #pending: Buffer = EMPTY;
  #headerDone = false;
  #trailerSeen = false;
  /** Field offsets and lengths of the tuples located in one pass, `PASS_ROWS` slots per column. */
  readonly #starts: Int32Array;
  readonly #lens: Int32Array;
  /** Tuples located in `#locatedIn` and not yet appended to the builders. */
  #located = 0;
  #locatedIn: Buffer = EMPTY;
  /**
   * Rows decoded since the caller last set this to 0 (after finishing a batch); the builders hold
   * them all once `flush` was called.
   */
  rows = 0;

  constructor(builders: ColumnBuilder[]) {
    this.#builders = builders;
    this.#starts = new Int32Array(PASS_ROWS * builders.length);
    this.#lens = new Int32Array(PASS_ROWS * builders.length);
  }

  get finished(): boolean {
    return this.#trailerSeen;
  }

  /**
   * Decodes whole tuples from `chunk[start, end)` (plus what was left of earlier chunks), stopping
   * after `maxRows` rows in the builders; call again with an empty chunk to continue.
   */
  write(chunk: Buffer, maxRows: number, start = 0, end = chunk.length): void {
    const pending = this.#pending;
    if (pending.length === 0) {
      this.#decodeFrom(chunk, start, end, maxRows);
      return;
    }
    if (end <= start) {
      this.#decodeFrom(pending, 0, pending.length, maxRows);
      return;
    }
    const tail = chunk.subarray(start, end);
    if (!this.#headerDone || this.rows >= maxRows) {
      const joined = Buffer.concat([pending, tail]);
      this.#decodeFrom(joined, 0, joined.length, maxRows);
      return;
    }
    // A tuple split across chunks: join only its bytes, then decode the rest of `chunk` in place
    // (joining whole chunks would copy every byte once more).
    const size = splitTupleSize(pending, tail);
    if (size < 0) {
      this.#pending = Buffer.concat([pending, tail]);
      return;
    }
    const used = size - pending.length;
    const joined = Buffer.concat([pending, tail.subarray(0, used)]);
    this.#decodeFrom(joined, 0, joined.length, maxRows);
    if (this.#pending.length > 0 || this.#trailerSeen) {
      // Stopped inside the joined tuple (trailer or a decode problem already thrown): keep the rest.
      if (used < tail.length) this.#pending = Buffer.concat([this.#pending, tail.subarray(used)]);
      return;
    }
    this.#decodeFrom(chunk, start + used, end, maxRows);
  }

  #decodeFrom(buf: Buffer, start: number, end: number, maxRows: number): void {
    let pos = start;
    if (!this.#headerDone) {
      if (end - pos < 19) {
        this.#pending = Buffer.from(buf.subarray(pos, end));
        return;
      }
      if (!buf.subarray(pos, pos + 11).equals(SIGNATURE))
        throw new CopyStreamError('missing COPY binary signature');
      const extension = buf.readUInt32BE(pos + 15);
      if (end - pos < 19 + extension) {
        this.#pending = Buffer.from(buf.subarray(pos, end));
        return;
      }
      pos += 19 + extension;
      this.#headerDone = true;
    }
    // Tuples are located here (field offsets and lengths, column by column) and appended by
    // `flush`, one call per column for up to PASS_ROWS tuples: PostgreSQL sends each row in a
    // message of its own, so tuples of consecutive messages in one received chunk are gathered.
    if (this.#located > 0 && buf !== this.#locatedIn) this.flush();
    this.#locatedIn = buf;
    const columns = this.#builders.length;
    const starts = this.#starts;
    const lens = this.#lens;
    while (this.rows < maxRows) {
      if (pos + 2 > end) break;
      const fields = (((buf[pos] as number) << 24) >> 16) | (buf[pos + 1] as number);
      if (fields === -1) {
        this.#trailerSeen = true;
        pos += 2;
        break;
      }
      if (fields !== columns) throw new CopyStreamError(`tuple has ${fields} fields, expected ${columns}`);
      // Record the tuple only once all of it is here.
      let p = pos + 2;
      let col = 0;
      for (let at = this.#located; col < columns && p + 4 <= end; col++, at += PASS_ROWS) {
        const len = int32(buf, p);
        starts[at] = p + 4;
        lens[at] = len;
        p += len > 0 ? 4 + len : 4;
      }
      if (col < columns || p > end) break;
      pos = p;
      this.rows++;
      if (++this.#located === PASS_ROWS) {
        this.flush();
        this.#locatedIn = buf;
      }
    }
    // Copy the tail: holding a view would pin the whole chunk in memory.
    this.#pending = pos >= end ? EMPTY : Buffer.from(buf.subarray(pos, end));
  }

  /**
   * Appends the tuples located so far to the builders. Call before finishing the builders' batch;
   * `write` calls it itself when a tuple is not in the buffer of the ones before it.
   */
  flush(): void {
    const count = this.#located;
    if (count === 0) return;
    const buf = this.#locatedIn;
    this.#located = 0;
    this.#locatedIn = EMPTY;
    const builders = this.#builders;
    let col = 0;
    try {
      for (col = 0; col < builders.length; col++)
        (builders[col] as ColumnBuilder).appendFields(buf, this.#starts, this.#lens, col * PASS_ROWS, count);
    } catch (err) {
      throw new ColumnDecodeError(col, err);
    }
  }

  /** Bytes received but not yet decoded (a partial tuple, or tuples past `maxRows`). */
  get pendingBytes(): number {
    return this.#pending.length;
  }

  /** Call when the stream ended: throws unless the trailer arrived and nothing is left over. */
  end(): void {
    if (!this.#trailerSeen) throw new CopyStreamError('the COPY stream ended before its trailer');
    this.flush();
  }
}
