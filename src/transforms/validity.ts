import type { Data } from 'apache-arrow';

/**
 * The validity bitmap of `data` re-based to bit 0, as a new Data would need it. Sliced data keeps the
 * parent's bitmap and a bit offset, so a kernel that writes fresh buffers must shift it. Shares the
 * parent's bytes when the slice starts on a byte boundary (buffers are never mutated).
 */
export function rebasedValidity(data: Data): Uint8Array | undefined {
  if (data.nullCount === 0 || !data.nullBitmap || data.nullBitmap.length === 0) return undefined;
  const { nullBitmap, offset, length } = data;
  const bytes = (length + 7) >> 3;
  if ((offset & 7) === 0) return nullBitmap.subarray(offset >> 3, (offset >> 3) + bytes);
  const out = new Uint8Array(bytes);
  for (let i = 0; i < length; i++) {
    const p = offset + i;
    if ((nullBitmap[p >> 3]! >> (p & 7)) & 1) out[i >> 3]! |= 1 << (i & 7);
  }
  return out;
}

/** An all-null validity bitmap for `length` values. */
export function allNullValidity(length: number): Uint8Array {
  return new Uint8Array((length + 7) >> 3);
}
