import { type Data, DataType, type RecordBatch, type Schema } from 'apache-arrow';
import type { ColumnProfileFacts } from '../core/events.js';
import { rowFingerprints } from './row-fingerprint.js';

const HLL_BITS = 12;
const HLL_REGISTERS = 1 << HLL_BITS;

export type ColumnProfile = ColumnProfileFacts;

class ColumnState {
  readonly registers = new Uint8Array(HLL_REGISTERS);
  readonly lengths = new Map<number, number>();
  rows = 0;
  nulls = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
}

function isValid(data: Data, i: number): boolean {
  const bitmap = data.nullBitmap;
  if (data.nullCount === 0 || !bitmap || bitmap.length === 0) return true;
  const p = data.offset + i;
  return ((bitmap[p >> 3]! >> (p & 7)) & 1) === 1;
}

/** Per-column statistics computed on the stream in bounded memory (4 KB per column plus a length histogram). */
export class Profiler {
  readonly #schema: Schema;
  readonly #states: ColumnState[];

  constructor(schema: Schema) {
    this.#schema = schema;
    this.#states = schema.fields.map(() => new ColumnState());
  }

  add(batch: RecordBatch): void {
    for (const [c, field] of this.#schema.fields.entries()) {
      const state = this.#states[c] as ColumnState;
      const column = batch.getChild(field.name);
      if (!column) continue;
      const { hi, lo } = rowFingerprints(batch, [field.name]);
      const numeric = DataType.isInt(field.type) || DataType.isFloat(field.type);
      const text = DataType.isUtf8(field.type) || DataType.isBinary(field.type);
      let row = 0;
      for (const data of column.data as Data[]) {
        const values = data.values as ArrayLike<number | bigint>;
        const offsets = data.valueOffsets as Int32Array;
        for (let i = 0; i < data.length; i++, row++) {
          state.rows++;
          if (!isValid(data, i)) {
            state.nulls++;
            continue;
          }
          const index = hi[row]! >>> (32 - HLL_BITS);
          const w = lo[row]!;
          const rank = w === 0 ? 33 : Math.clz32(w) + 1;
          if (rank > state.registers[index]!) state.registers[index] = rank;
          if (numeric) {
            const v = Number(values[i * data.stride]);
            if (v < state.min) state.min = v;
            if (v > state.max) state.max = v;
          } else if (text) {
            const len = offsets[i + 1]! - offsets[i]!;
            state.lengths.set(len, (state.lengths.get(len) ?? 0) + 1);
          }
        }
      }
    }
  }

  result(): ColumnProfile[] {
    return this.#schema.fields.map((field, c) => {
      const s = this.#states[c] as ColumnState;
      const profile: ColumnProfile = {
        name: field.name,
        type: String(field.type),
        rows: s.rows,
        null_ratio: s.rows === 0 ? 0 : s.nulls / s.rows,
        distinct_estimate: s.rows === s.nulls ? 0 : hllEstimate(s.registers),
      };
      if (s.min <= s.max) {
        profile.min = s.min;
        profile.max = s.max;
      }
      if (s.lengths.size > 0) profile.length_quantiles = quantiles(s.lengths);
      return profile;
    });
  }
}

function hllEstimate(registers: Uint8Array): number {
  const m = registers.length;
  let sum = 0;
  let zeros = 0;
  for (const r of registers) {
    sum += 2 ** -r;
    if (r === 0) zeros++;
  }
  const alpha = 0.7213 / (1 + 1.079 / m);
  const raw = (alpha * m * m) / sum;
  // Linear counting is more accurate for small cardinalities.
  if (raw <= 2.5 * m && zeros > 0) return Math.round(m * Math.log(m / zeros));
  return Math.round(raw);
}

function quantiles(histogram: Map<number, number>): { p50: number; p90: number; p99: number; max: number } {
  const entries = [...histogram].sort((a, b) => a[0] - b[0]);
  const total = entries.reduce((n, [, k]) => n + k, 0);
  const at = (q: number) => {
    const target = q * total;
    let seen = 0;
    for (const [len, k] of entries) {
      seen += k;
      if (seen >= target) return len;
    }
    return entries.at(-1)?.[0] ?? 0;
  };
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: entries.at(-1)?.[0] ?? 0 };
}
