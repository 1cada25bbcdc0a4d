import { type Data, DataType, type Int } from 'apache-arrow';
import { DECIMAL_SCRATCH, EXACT_HIGH_WORD, writeDecimal, writeDecimalBig } from './canonical-integer.js';
import type { HmacSha256 } from './hmac-sha256.js';
import {
  type HmacSimdKernel,
  hmacSimdKernel,
  macIndex,
  packBlock,
  SIMD_MAX_BYTES,
  SIMD_WINDOW,
} from './hmac-simd.js';
import { unsupportedTypeError } from './unsupported-type-error.js';
import { rebasedValidity } from './validity.js';

const ACCEPTS = '`Utf8`, `LargeUtf8` and integer types';
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Row states of a window: skipped (null), packed for the SIMD kernel, or too long for it. */
const NULL = 0;
const PACKED = 1;
const LONG = 2;

/**
 * Computes the MAC of every valid value of `data` (strings as UTF-8, integers as decimal text) and
 * calls `write(i)` with the MAC in `mac.out`, in row order. Shared by the masks seeded by a value's
 * MAC. Uses the WebAssembly SIMD kernel when the runtime has it (`simd` overrides, for tests).
 */
export function macEach(
  data: Data,
  mac: HmacSha256,
  write: (i: number) => void,
  simd: HmacSimdKernel | null = hmacSimdKernel(),
): void {
  // The kernel's memory is shared: a `write` that itself calls macEach gets the scalar path.
  if (!simd || busy) {
    macEachScalar(data, mac, write);
    return;
  }
  busy = true;
  try {
    macEachSimd(data, mac, write, simd);
  } finally {
    busy = false;
  }
}

let busy = false;

function macEachSimd(data: Data, mac: HmacSha256, write: (i: number) => void, simd: HmacSimdKernel): void {
  const { type, length } = data;
  const valid = rebasedValidity(data);
  const m32 = simd.m32;
  m32.set(mac.innerState, 0);
  m32.set(mac.outerState, 8);
  const states = new Uint8Array(SIMD_WINDOW);
  const out = mac.out;
  let values: Uint8Array | undefined;
  let offsets: Int32Array | BigInt64Array | undefined;
  let pack: (from: number, to: number) => number;
  if (DataType.isUtf8(type) || DataType.isLargeUtf8(type)) {
    const bytes = data.values as Uint8Array;
    values = bytes;
    if (DataType.isUtf8(type)) {
      const offs = data.valueOffsets as Int32Array;
      offsets = offs;
      pack = (from, to) => {
        let slot = 0;
        for (let i = from; i < to; i++) {
          if (valid && ((valid[i >> 3]! >> (i & 7)) & 1) === 0) states[i - from] = NULL;
          else {
            const s = offs[i]!;
            const e = offs[i + 1]!;
            if (e - s > SIMD_MAX_BYTES) states[i - from] = LONG;
            else {
              packBlock(m32, slot++, bytes, s, e);
              states[i - from] = PACKED;
            }
          }
        }
        return slot;
      };
    } else {
      const offs = data.valueOffsets as BigInt64Array;
      offsets = offs;
      pack = (from, to) => {
        let slot = 0;
        for (let i = from; i < to; i++) {
          if (valid && ((valid[i >> 3]! >> (i & 7)) & 1) === 0) states[i - from] = NULL;
          else {
            const s = Number(offs[i]!);
            const e = Number(offs[i + 1]!);
            if (e - s > SIMD_MAX_BYTES) states[i - from] = LONG;
            else {
              packBlock(m32, slot++, bytes, s, e);
              states[i - from] = PACKED;
            }
          }
        }
        return slot;
      };
    }
  } else if (DataType.isInt(type)) {
    // Decimal text is at most 20 bytes: every integer fits one block.
    const scratch = new Uint8Array(DECIMAL_SCRATCH);
    const int = type as Int;
    if (int.bitWidth === 64) {
      const ints = data.values as BigInt64Array | BigUint64Array;
      const words = new Int32Array(ints.buffer, ints.byteOffset, ints.length * 2);
      const signed = int.isSigned;
      pack = (from, to) => {
        let slot = 0;
        for (let i = from; i < to; i++) {
          if (valid && ((valid[i >> 3]! >> (i & 7)) & 1) === 0) {
            states[i - from] = NULL;
            continue;
          }
          const hi = LITTLE_ENDIAN ? words[2 * i + 1]! : EXACT_HIGH_WORD;
          let start: number;
          if (signed ? hi >= -EXACT_HIGH_WORD && hi < EXACT_HIGH_WORD : hi >>> 0 < EXACT_HIGH_WORD) {
            start = writeDecimal((signed ? hi : hi >>> 0) * 0x100000000 + (words[2 * i]! >>> 0), scratch);
          } else {
            start = writeDecimalBig(ints[i]!, scratch);
          }
          packBlock(m32, slot++, scratch, start, DECIMAL_SCRATCH);
          states[i - from] = PACKED;
        }
        return slot;
      };
    } else {
      const ints = data.values as
        | Int8Array
        | Int16Array
        | Int32Array
        | Uint8Array
        | Uint16Array
        | Uint32Array;
      pack = (from, to) => {
        let slot = 0;
        for (let i = from; i < to; i++) {
          if (valid && ((valid[i >> 3]! >> (i & 7)) & 1) === 0) {
            states[i - from] = NULL;
            continue;
          }
          packBlock(m32, slot++, scratch, writeDecimal(ints[i]!, scratch), DECIMAL_SCRATCH);
          states[i - from] = PACKED;
        }
        return slot;
      };
    }
  } else {
    throw unsupportedTypeError('hmac', type, ACCEPTS);
  }
  for (let from = 0; from < length; from += SIMD_WINDOW) {
    const to = Math.min(length, from + SIMD_WINDOW);
    const packed = pack(from, to);
    simd.run((packed + 3) >> 2);
    let slot = 0;
    for (let i = from; i < to; i++) {
      const state = states[i - from]!;
      if (state === NULL) continue;
      if (state === PACKED) {
        const at = macIndex(slot++);
        out[0] = m32[at]!;
        out[1] = m32[at + 4]!;
        out[2] = m32[at + 8]!;
        out[3] = m32[at + 12]!;
        out[4] = m32[at + 16]!;
        out[5] = m32[at + 20]!;
        out[6] = m32[at + 24]!;
        out[7] = m32[at + 28]!;
      } else if (offsets instanceof Int32Array) {
        mac.update(values!, offsets[i]!, offsets[i + 1]!);
      } else {
        mac.update(values!, Number(offsets![i]!), Number(offsets![i + 1]!));
      }
      write(i);
    }
  }
}

/** `macEach` one value at a time in TypeScript: the path when WebAssembly SIMD is unavailable. */
export function macEachScalar(data: Data, mac: HmacSha256, write: (i: number) => void): void {
  const { type, length } = data;
  const valid = rebasedValidity(data);
  if (DataType.isUtf8(type)) {
    const values = data.values as Uint8Array;
    const offsets = data.valueOffsets as Int32Array;
    for (let i = 0; i < length; i++) {
      if (valid && ((valid[i >> 3]! >> (i & 7)) & 1) === 0) continue;
      mac.update(values, offsets[i]!, offsets[i + 1]!);
      write(i);
    }
    return;
  }
  if (DataType.isLargeUtf8(type)) {
    const values = data.values as Uint8Array;
    const offsets = data.valueOffsets as BigInt64Array;
    for (let i = 0; i < length; i++) {
      if (valid && ((valid[i >> 3]! >> (i & 7)) & 1) === 0) continue;
      mac.update(values, Number(offsets[i]!), Number(offsets[i + 1]!));
      write(i);
    }
    return;
  }
  if (DataType.isInt(type)) {
    const scratch = new Uint8Array(DECIMAL_SCRATCH);
    const int = type as Int;
    if (int.bitWidth === 64) {
      const values = data.values as BigInt64Array | BigUint64Array;
      const words = new Int32Array(values.buffer, values.byteOffset, values.length * 2);
      for (let i = 0; i < length; i++) {
        if (valid && ((valid[i >> 3]! >> (i & 7)) & 1) === 0) continue;
        let start: number;
        const hi = LITTLE_ENDIAN ? words[2 * i + 1]! : EXACT_HIGH_WORD;
        if (int.isSigned ? hi >= -EXACT_HIGH_WORD && hi < EXACT_HIGH_WORD : hi >>> 0 < EXACT_HIGH_WORD) {
          start = writeDecimal((int.isSigned ? hi : hi >>> 0) * 0x100000000 + (words[2 * i]! >>> 0), scratch);
        } else {
          start = writeDecimalBig(values[i]!, scratch);
        }
        mac.update(scratch, start, DECIMAL_SCRATCH);
        write(i);
      }
      return;
    }
    const values = data.values as
      | Int8Array
      | Int16Array
      | Int32Array
      | Uint8Array
      | Uint16Array
      | Uint32Array;
    for (let i = 0; i < length; i++) {
      if (valid && ((valid[i >> 3]! >> (i & 7)) & 1) === 0) continue;
      mac.update(scratch, writeDecimal(values[i]!, scratch), DECIMAL_SCRATCH);
      write(i);
    }
    return;
  }
  throw unsupportedTypeError('hmac', type, ACCEPTS);
}
