import { type Data, DataType, type RecordBatch, type Schema } from 'apache-arrow';
import { SluiceError } from '../core/errors.js';
import { macEach } from '../transforms/hmac-mask.js';
import { HmacSha256 } from '../transforms/hmac-sha256.js';

/** Key used when a split names no `key_id`: public, so the assignment is stable but predictable. */
export const DEFAULT_SPLIT_KEY = new TextEncoder().encode('sluice-split-v1');

const NULL_MARKER = new Uint8Array([0]);

/**
 * Assigns rows to named parts by HMAC-SHA256 of the split column's canonical bytes (the bytes the
 * `hmac` mask hashes: UTF-8 text, integers as decimal text). The first 53 bits of the MAC, as a
 * fraction in [0, 1), fall into one part by cumulative weight, so a value always lands in the same
 * part whatever else is in the data. Null values all share one marker, so they land together.
 */
export class SplitAssigner {
  readonly names: string[];
  readonly #bounds: Float64Array;
  readonly #mac: HmacSha256;
  readonly #column: string;

  constructor(column: string, parts: Record<string, number>, key: Uint8Array) {
    this.#column = column;
    this.names = Object.keys(parts);
    const weights = Object.values(parts);
    const total = weights.reduce((a, b) => a + b, 0);
    this.#bounds = new Float64Array(weights.length);
    let acc = 0;
    for (const [i, w] of weights.entries()) {
      acc += w / total;
      this.#bounds[i] = acc;
    }
    this.#bounds[weights.length - 1] = 1;
    this.#mac = new HmacSha256(key);
  }

  /** Checks the column exists and has a type the split can hash; throws SCHEMA_MISMATCH. */
  check(schema: Schema, what: string): void {
    const field = schema.fields.find((f) => f.name === this.#column);
    if (!field) {
      throw new SluiceError(
        'SCHEMA_MISMATCH',
        `The split column \`${this.#column}\` of ${what} is not in the output. Columns: ${schema.fields.map((f) => `\`${f.name}\``).join(', ')}.`,
      );
    }
    const t = field.type;
    if (!(DataType.isUtf8(t) || DataType.isLargeUtf8(t) || DataType.isInt(t))) {
      throw new SluiceError(
        'SCHEMA_MISMATCH',
        `The split column \`${this.#column}\` of ${what} has type \`${String(t)}\`; a split needs a text or integer column (e.g. a customer token).`,
      );
    }
  }

  /** The part index of every row of `batch`. */
  assign(batch: RecordBatch): Uint8Array {
    const column = batch.getChild(this.#column);
    const parts = new Uint8Array(batch.numRows);
    if (!column) return parts;
    const out = this.#mac.out;
    const nullPart = this.#partOfMac(() => this.#mac.update(NULL_MARKER, 0, 1));
    parts.fill(nullPart);
    let base = 0;
    for (const data of column.data as Data[]) {
      macEach(data, this.#mac, (i) => {
        parts[base + i] = this.#part(out);
      });
      base += data.length;
    }
    return parts;
  }

  #partOfMac(update: () => void): number {
    update();
    return this.#part(this.#mac.out);
  }

  #part(out: Int32Array): number {
    const x = ((out[0]! >>> 0) * 2 ** 21 + (out[1]! >>> 11)) / 2 ** 53;
    const bounds = this.#bounds;
    for (let p = 0; p < bounds.length; p++) if (x < bounds[p]!) return p;
    return bounds.length - 1;
  }
}
