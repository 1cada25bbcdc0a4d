import { type Data, DataType, makeData, makeVector, Utf8, type Vector } from 'apache-arrow';

/** Smallest sample the drift scan takes from a column before it may skip the full scan. */
export const DRIFT_SAMPLE_MIN = 4096;

/**
 * How many values the drift scan samples from one column of one batch at `threshold`: enough
 * that a column at the threshold shows at least 256 hits on average, and never fewer than
 * `DRIFT_SAMPLE_MIN`.
 */
export function driftSampleSize(threshold: number): number {
  return Math.max(DRIFT_SAMPLE_MIN, Math.ceil(256 / threshold));
}

/**
 * About `size` values of the Utf8 `vector`, picked by a fixed-seed pseudo-random generator (the
 * same batch gives the same sample; no stride that periodic data could alias with), as a new
 * vector. Undefined when the vector is not Utf8 or holds fewer than twice `size` non-null values:
 * then the whole vector is scanned.
 */
export function driftSample(vector: Vector, size: number): Vector | undefined {
  if (!DataType.isUtf8(vector.type)) return undefined;
  const valid = vector.length - vector.nullCount;
  if (valid < 2 * size) return undefined;
  const chunks = vector.data as Data<Utf8>[];
  let seed = 0x9e3779b9 ^ vector.length;
  const random = (): number => {
    // xorshift32
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 4_294_967_296;
  };
  const offsets = new Int32Array(size + 1);
  // The picks as (chunk, index) in two typed arrays: no object per pick.
  const pickChunk = new Int32Array(size);
  const pickAt = new Int32Array(size);
  let picked = 0;
  let bytes = 0;
  // Nulls are skipped, not counted: the ratio is over non-null values, as in the full scan.
  for (let tries = 0; picked < size && tries < size * 8; tries++) {
    let at = Math.floor(random() * vector.length);
    let index = 0;
    for (; index < chunks.length - 1; index++) {
      const length = (chunks[index] as Data<Utf8>).length;
      if (at < length) break;
      at -= length;
    }
    const chunk = chunks[index] as Data<Utf8>;
    if (!chunk.getValid(at)) continue;
    const o = chunk.valueOffsets;
    bytes += (o[at + 1] as number) - (o[at] as number);
    pickChunk[picked] = index;
    pickAt[picked] = at;
    picked++;
  }
  const data = new Uint8Array(bytes);
  let used = 0;
  for (let i = 0; i < picked; i++) {
    const chunk = chunks[pickChunk[i] as number] as Data<Utf8>;
    const at = pickAt[i] as number;
    const o = chunk.valueOffsets;
    const values = chunk.values;
    for (let p = o[at] as number, end = o[at + 1] as number; p < end; p++) data[used++] = values[p] as number;
    offsets[i + 1] = used;
  }
  return makeVector(
    makeData({
      type: new Utf8(),
      length: picked,
      nullCount: 0,
      valueOffsets: offsets.subarray(0, picked + 1),
      data,
    }),
  );
}
