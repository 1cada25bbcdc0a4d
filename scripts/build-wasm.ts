// Generates the WebAssembly SIMD kernel of the `hmac` mask (multi-buffer HMAC-SHA256: four messages
// hashed at once in the four i32 lanes of a v128) as WAT with every round unrolled, assembles it
// with wabt, and writes the bytes as base64 into a TypeScript module, so installing Sluice needs no
// build step. This script is the source of that module.
//
//   npx vite-node scripts/build-wasm.ts           # regenerate src/transforms/sha256-simd-wasm.ts
//   npx vite-node scripts/build-wasm.ts --check   # exit 1 when the committed module is stale
//   npx vite-node scripts/build-wasm.ts --wat     # print the WAT
//
// Memory layout (all words little-endian i32, "interleaved" = word k of lane l at (k·4 + l)·4):
//   [0, 32)       inner state: SHA-256 state after the key's ipad block (8 words), set by the caller
//   [32, 64)      outer state: after the opad block, set by the caller
//   [64, 1088)    the round constants K, each splat to 4 lanes (data segment)
//   [1088, 3136)  scratch: message schedules of the inner and outer blocks
//   [4096, ...)   groups of 4 messages, 256 bytes each: the one padded block of every message,
//                 interleaved, with the bit length (64 + bytes) · 8 already in word 15.
// `hmac(ptr, groups)` overwrites the first 128 bytes of each group with the 4 MACs (interleaved).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabt from 'wabt';
import { SHA256_K } from '../src/transforms/sha256.js';

// The round constants as unsigned numbers, from the scalar implementation (one source of truth).
const K = [...SHA256_K].map((k) => k >>> 0);

const get = (name: string): string => `(local.get $${name})`;
const splat = (n: number): string => `(v128.const i32x4 ${n} ${n} ${n} ${n})`;
const rotr = (x: string, n: number): string =>
  `(v128.or (i32x4.shr_u ${x} (i32.const ${n})) (i32x4.shl ${x} (i32.const ${32 - n})))`;
const xor3 = (p: string, q: string, r: string): string => `(v128.xor (v128.xor ${p} ${q}) ${r})`;
const add = (...terms: string[]): string => terms.reduce((acc, t) => `(i32x4.add ${acc} ${t})`);

// Memory offsets (bytes) of the constant and scratch areas; groups start at GROUPS.
const INNER = 0;
const OUTER = 32;
const KTAB = 64;
const SCHED_IN = KTAB + 64 * 16;
const SCHED_OUT = SCHED_IN + 64 * 16;
export const GROUPS = 4096;

const at = (area: number, row: number): string => `(v128.load offset=${area + row * 16} (i32.const 0))`;

/**
 * The message schedule W[16..63] of the block whose W[0..15] are in `area`, written to `area`.
 * Working through memory instead of 16 v128 locals keeps the rounds within the 16 vector registers.
 */
function schedule(area: number): string[] {
  const lines: string[] = [];
  for (let t = 16; t < 64; t++) {
    lines.push(`(local.set $x ${at(area, t - 15)})`, `(local.set $y ${at(area, t - 2)})`);
    const x = get('x');
    const y = get('y');
    const sigma0 = xor3(rotr(x, 7), rotr(x, 18), `(i32x4.shr_u ${x} (i32.const 3))`);
    const sigma1 = xor3(rotr(y, 17), rotr(y, 19), `(i32x4.shr_u ${y} (i32.const 10))`);
    lines.push(
      `(v128.store offset=${area + t * 16} (i32.const 0) ${add(at(area, t - 16), sigma0, at(area, t - 7), sigma1)})`,
    );
  }
  return lines;
}

/** The 64 rounds of one compression over the schedule in `area`, state in locals v0..v7. */
function rounds(area: number): string[] {
  const lines: string[] = [];
  // Renaming instead of moving: after each round the roles of the eight locals rotate.
  let s = ['v0', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7'];
  for (let t = 0; t < 64; t++) {
    const [a, b, c, d, e, f, g, h] = s.map(get) as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const bigSigma1 = xor3(rotr(e, 6), rotr(e, 11), rotr(e, 25));
    const ch = `(v128.bitselect ${f} ${g} ${e})`;
    lines.push(`(local.set $t ${add(h, bigSigma1, ch, at(KTAB, t), at(area, t))})`);
    lines.push(`(local.set $${s[3]} (i32x4.add ${d} (local.get $t)))`);
    const bigSigma0 = xor3(rotr(a, 2), rotr(a, 13), rotr(a, 22));
    const maj = `(v128.bitselect ${b} ${a} (v128.xor ${a} ${c}))`;
    lines.push(`(local.set $${s[7]} ${add('(local.get $t)', bigSigma0, maj)})`);
    s = [s[7]!, s[0]!, s[1]!, s[2]!, s[3]!, s[4]!, s[5]!, s[6]!];
  }
  // 64 rotations bring the names back to v0..v7.
  return lines;
}

const stateWord = (base: number, i: number): string =>
  `(v128.load32_splat offset=${base + i * 4} (i32.const 0))`;

export function wat(): string {
  const locals = [
    ...Array.from({ length: 8 }, (_, i) => `(local $v${i} v128)`),
    '(local $t v128) (local $x v128) (local $y v128)',
  ];
  const body: string[] = [];
  // Rows 8..15 of the outer block never change: 0x80 after the 32-byte digest, zeros, bit length.
  body.push(`(v128.store offset=${SCHED_OUT + 8 * 16} (i32.const 0) ${splat(0x80000000)})`);
  for (let j = 9; j < 15; j++)
    body.push(`(v128.store offset=${SCHED_OUT + j * 16} (i32.const 0) (v128.const i64x2 0 0))`);
  body.push(`(v128.store offset=${SCHED_OUT + 15 * 16} (i32.const 0) ${splat((64 + 32) * 8)})`);
  body.push('(block $done (loop $next');
  body.push('(br_if $done (i32.eqz (local.get $groups)))');
  for (let j = 0; j < 16; j++) {
    body.push(
      `(v128.store offset=${SCHED_IN + j * 16} (i32.const 0) (v128.load offset=${j * 16} (local.get $ptr)))`,
    );
  }
  body.push(...schedule(SCHED_IN));
  for (let i = 0; i < 8; i++) body.push(`(local.set $v${i} ${stateWord(INNER, i)})`);
  body.push(...rounds(SCHED_IN));
  for (let i = 0; i < 8; i++) {
    body.push(
      `(v128.store offset=${SCHED_OUT + i * 16} (i32.const 0) (i32x4.add (local.get $v${i}) ${stateWord(INNER, i)}))`,
    );
  }
  body.push(...schedule(SCHED_OUT));
  for (let i = 0; i < 8; i++) body.push(`(local.set $v${i} ${stateWord(OUTER, i)})`);
  body.push(...rounds(SCHED_OUT));
  for (let i = 0; i < 8; i++) {
    body.push(
      `(v128.store offset=${i * 16} (local.get $ptr) (i32x4.add (local.get $v${i}) ${stateWord(OUTER, i)}))`,
    );
  }
  body.push('(local.set $ptr (i32.add (local.get $ptr) (i32.const 256)))');
  body.push('(local.set $groups (i32.sub (local.get $groups) (i32.const 1)))');
  body.push('(br $next)))');
  const ktab = K.flatMap((k) =>
    Array.from({ length: 4 }, () => [k & 0xff, (k >>> 8) & 0xff, (k >>> 16) & 0xff, k >>> 24]),
  )
    .flat()
    .map((byte) => `\\${byte.toString(16).padStart(2, '0')}`)
    .join('');
  return [
    '(module',
    '(memory (export "memory") 5)',
    `(data (i32.const ${KTAB}) "${ktab}")`,
    '(func (export "hmac") (param $ptr i32) (param $groups i32)',
    ...locals,
    ...body,
    '))',
  ].join('\n');
}

const OUT = resolve(dirname(fileURLToPath(import.meta.url)), '../src/transforms/sha256-simd-wasm.ts');

async function moduleText(): Promise<string> {
  const tools = await wabt();
  const parsed = tools.parseWat('sha256-simd.wat', wat(), { simd: true });
  const { buffer } = parsed.toBinary({});
  parsed.destroy();
  const base64 = Buffer.from(buffer).toString('base64');
  return [
    '// Generated by `scripts/build-wasm.ts` (multi-buffer HMAC-SHA256 in WebAssembly SIMD); do not edit.',
    '// Regenerate with `npx vite-node scripts/build-wasm.ts`.',
    '',
    '/** The WebAssembly module of the SIMD HMAC-SHA256 kernel, base64. */',
    // Laid out as the formatter lays it out, so `--check` and `biome check` agree.
    'export const SHA256_SIMD_WASM =',
    `  '${base64}';`,
    '',
  ].join('\n');
}

const args = process.argv.slice(2);
if (args.includes('--wat')) {
  process.stdout.write(`${wat()}\n`);
} else {
  const text = await moduleText();
  if (args.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(OUT, 'utf8');
    } catch {}
    if (current !== text) {
      process.stderr.write(`${OUT} is out of date: run \`npx vite-node scripts/build-wasm.ts\`.\n`);
      process.exit(1);
    }
    process.stdout.write(`${OUT} is up to date.\n`);
  } else {
    writeFileSync(OUT, text);
    process.stdout.write(`wrote ${OUT} (${text.length} characters)\n`);
  }
}
