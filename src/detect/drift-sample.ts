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
  const picks: [Data<Utf8>, number][] = [];
  let bytes = 0;
  // Nulls are skipped, not counted: the ratio is over non-null values, as in the full scan.
  for (let tries = 0; picks.length < size && tries < size * 8; tries++) {
    let at = Math.floor(random() * vector.length);
    let chunk = chunks[0] as Data<Utf8>;
    for (const c of chunks) {
      chunk = c;
      if (at < c.length) break;
      at -= c.length;
    }
    if (!chunk.getValid(at)) continue;
    const o = chunk.valueOffsets;
    bytes += (o[at + 1] as number) - (o[at] as number);
    picks.push([chunk, at]);
  }
  const data = new Uint8Array(bytes);
  let used = 0;
  picks.forEach(([chunk, at], i) => {
    const o = chunk.valueOffsets;
    data.set(chunk.values.subarray(o[at] as number, o[at + 1] as number), used);
    used += (o[at + 1] as number) - (o[at] as number);
    offsets[i + 1] = used;
  });
  return makeVector(
    makeData({
      type: new Utf8(),
      length: picks.length,
      nullCount: 0,
      valueOffsets: offsets.subarray(0, picks.length + 1),
      data,
    }),
  );
}
