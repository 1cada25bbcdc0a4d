import type { ColumnBuilder } from './column-builder.js';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

function int32(buf: Buffer, p: number): number {
  return (
    ((buf[p] as number) << 24) |
    ((buf[p + 1] as number) << 16) |
    ((buf[p + 2] as number) << 8) |
    (buf[p + 3] as number)
  );
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
  #pending: Buffer = Buffer.alloc(0);
  #headerDone = false;
  #trailerSeen = false;
  /** Rows decoded into the builders since the last `takeRows`. */
  rows = 0;

  constructor(builders: ColumnBuilder[]) {
    this.#builders = builders;
  }

  get finished(): boolean {
    return this.#trailerSeen;
  }

  /**
   * Decodes whole tuples from `chunk` (plus what was left of earlier chunks), stopping after
   * `maxRows` rows in the builders; call again with an empty chunk to continue.
   */
  write(chunk: Buffer, maxRows: number): void {
    const buf =
      this.#pending.length === 0
        ? chunk
        : chunk.length === 0
          ? this.#pending
          : Buffer.concat([this.#pending, chunk]);
    let pos = 0;
    const end = buf.length;
    if (!this.#headerDone) {
      if (end < 19) {
        this.#pending = buf;
        return;
      }
      if (!buf.subarray(0, 11).equals(SIGNATURE)) throw new CopyStreamError('missing COPY binary signature');
      const extension = buf.readUInt32BE(15);
      if (end < 19 + extension) {
        this.#pending = buf;
        return;
      }
      pos = 19 + extension;
      this.#headerDone = true;
    }
    const builders = this.#builders;
    const columns = builders.length;
    let rows = this.rows;
    let col = 0;
    try {
      while (rows < maxRows) {
        if (pos + 2 > end) break;
        const fields = (((buf[pos] as number) << 24) >> 16) | (buf[pos + 1] as number);
        if (fields === -1) {
          this.#trailerSeen = true;
          pos += 2;
          break;
        }
        if (fields !== columns) throw new CopyStreamError(`tuple has ${fields} fields, expected ${columns}`);
        // Check the whole tuple is here before touching the builders.
        let p = pos + 2;
        for (col = 0; col < columns && p + 4 <= end; col++) {
          const len = int32(buf, p);
          p += len > 0 ? 4 + len : 4;
        }
        if (col < columns || p > end) break;
        p = pos + 2;
        for (col = 0; col < columns; col++) {
          const len = int32(buf, p);
          p += 4;
          const builder = builders[col] as ColumnBuilder;
          if (len < 0) builder.appendNull();
          else {
            builder.appendBinary(buf, p, len);
            p += len;
          }
        }
        pos = p;
        rows++;
      }
    } catch (err) {
      if (err instanceof CopyStreamError) throw err;
      throw new ColumnDecodeError(col, err);
    } finally {
      this.rows = rows;
    }
    // Copy the tail: holding a view would pin the whole chunk in memory.
    this.#pending = pos >= end ? Buffer.alloc(0) : Buffer.from(buf.subarray(pos));
  }

  /** Bytes received but not yet decoded (a partial tuple, or tuples past `maxRows`). */
  get pendingBytes(): number {
    return this.#pending.length;
  }

  /** Call when the stream ended: throws unless the trailer arrived and nothing is left over. */
  end(): void {
    if (!this.#trailerSeen) throw new CopyStreamError('the COPY stream ended before its trailer');
  }
}
