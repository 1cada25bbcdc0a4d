import { SHA256_SIMD_WASM } from './sha256-simd-wasm.js';

// Multi-buffer HMAC-SHA256 in WebAssembly SIMD (built by `scripts/build-wasm.ts`): four messages
// per v128, one WASM call per window of messages. Only messages of at most 55 bytes fit the single
// padded block the kernel hashes; longer ones stay on the scalar path.

/** The longest message the SIMD kernel takes: 55 bytes + 0x80 + 8 length bytes = one block. */
export const SIMD_MAX_BYTES = 55;
/** Messages per WASM call; the memory holds this many padded blocks. */
export const SIMD_WINDOW = 4096;
/** Int32 index of the first group in the kernel's memory (byte 4096, after states, constants, scratch). */
const GROUPS_AT = 1024;

export interface HmacSimdKernel {
  /** Kernel memory as Int32 words: [0, 8) inner state, [8, 16) outer state, groups of 64 words from 1024. */
  readonly m32: Int32Array;
  /** MACs `groups` groups of 4 packed messages in place. */
  run(groups: number): void;
}

let selected: HmacSimdKernel | null | undefined;

/** The SIMD kernel, or null when this runtime's WebAssembly lacks SIMD. Selected once per process. */
export function hmacSimdKernel(): HmacSimdKernel | null {
  if (selected === undefined) selected = loadKernel();
  return selected;
}

/** The part of the WebAssembly JS API used here (the DOM lib that declares it is not loaded). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}

function loadKernel(): HmacSimdKernel | null {
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  // WASM memory is little-endian; the packing writes it through a platform-order Int32Array.
  const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  if (!wasm || !littleEndian) return null;
  const bytes = Buffer.from(SHA256_SIMD_WASM, 'base64');
  if (!wasm.validate(bytes)) return null;
  try {
    const { exports } = new wasm.Instance(new wasm.Module(bytes));
    const memory = exports.memory as { buffer: ArrayBuffer };
    const hmac = exports.hmac as (ptr: number, groups: number) => void;
    const m32 = new Int32Array(memory.buffer);
    if (m32.length < GROUPS_AT + (SIMD_WINDOW / 4) * 64) return null;
    return { m32, run: (groups) => hmac(GROUPS_AT * 4, groups) };
  } catch {
    return null;
  }
}

/**
 * Writes message `bytes[start, end)` (at most 55 bytes) as the padded block of `slot`, interleaved:
 * word j of slot s at `1024 + (s >> 2) · 64 + j · 4 + (s & 3)`.
 */
export function packBlock(
  m32: Int32Array,
  slot: number,
  bytes: Uint8Array,
  start: number,
  end: number,
): void {
  const len = end - start;
  let at = GROUPS_AT + ((slot >> 2) << 6) + (slot & 3);
  const stop = at + 60;
  let p = start;
  for (const last = start + (len & ~3); p < last; p += 4, at += 4) {
    m32[at] = (bytes[p]! << 24) | (bytes[p + 1]! << 16) | (bytes[p + 2]! << 8) | bytes[p + 3]!;
  }
  switch (len & 3) {
    case 0:
      m32[at] = 0x80000000 | 0;
      break;
    case 1:
      m32[at] = (bytes[p]! << 24) | 0x800000;
      break;
    case 2:
      m32[at] = (bytes[p]! << 24) | (bytes[p + 1]! << 16) | 0x8000;
      break;
    default:
      m32[at] = (bytes[p]! << 24) | (bytes[p + 1]! << 16) | (bytes[p + 2]! << 8) | 0x80;
  }
  for (at += 4; at < stop; at += 4) m32[at] = 0;
  // Bit length of ipad block + message; word 14 (high bits) was zeroed above.
  m32[stop] = (64 + len) * 8;
}

/** Int32 index of word 0 of the MAC of `slot` after `run` (word k at `+ 4k`). */
export function macIndex(slot: number): number {
  return GROUPS_AT + ((slot >> 2) << 6) + (slot & 3);
}
