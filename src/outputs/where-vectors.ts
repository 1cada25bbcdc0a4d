import { type Data, DataType } from 'apache-arrow';

/** A column of a `where` expression over one batch; `ok[i] === 0` is SQL NULL. */
export type WhereVector = NumVector | BoolVector | TextVector;

export interface NumVector {
  kind: 'num';
  values: Float64Array;
  ok: Uint8Array;
  /**
   * The exact values of a 64-bit integer column or an integer literal: comparisons between two
   * exact sides use these, since a float64 cannot tell integers beyond 2^53 apart (int64 tokens).
   */
  exact?: BigInt64Array | BigUint64Array;
}

export interface BoolVector {
  kind: 'bool';
  values: Uint8Array;
  ok: Uint8Array;
}

/**
 * Text, either as an Arrow UTF-8 buffer (`bytes`, read without decoding where an operation allows)
 * or as decoded strings (results of `lower`, `upper`, `trim`).
 */
export interface TextVector {
  kind: 'text';
  length: number;
  ok: Uint8Array;
  bytes?: { values: Uint8Array; offsets: Int32Array | BigInt64Array };
  strings?: (string | undefined)[];
}

const decoder = new TextDecoder();

/** Validity of `data` as one byte per row. */
export function validity(data: Data): Uint8Array {
  const ok = new Uint8Array(data.length).fill(1);
  const bitmap = data.nullBitmap;
  if (data.nullCount === 0 || !bitmap || bitmap.length === 0) return ok;
  for (let i = 0; i < data.length; i++) {
    const p = data.offset + i;
    ok[i] = (bitmap[p >> 3]! >> (p & 7)) & 1;
  }
  return ok;
}

/** The `where` type of an Arrow type, or undefined when `where` cannot use it. */
export function whereType(type: DataType): 'num' | 'bool' | 'text' | undefined {
  if (DataType.isInt(type)) return 'num';
  if (DataType.isFloat(type) && type.precision !== 0) return 'num';
  if (DataType.isBool(type)) return 'bool';
  if (DataType.isUtf8(type) || DataType.isLargeUtf8(type)) return 'text';
  return undefined;
}

/** Reads one column chunk as a `where` vector (the type was checked at compile time). */
export function columnVector(data: Data): WhereVector {
  const ok = validity(data);
  const type = data.type;
  if (DataType.isUtf8(type) || DataType.isLargeUtf8(type)) {
    return {
      kind: 'text',
      length: data.length,
      ok,
      bytes: { values: data.values as Uint8Array, offsets: data.valueOffsets as Int32Array | BigInt64Array },
    };
  }
  if (DataType.isBool(type)) {
    const bits = data.values as Uint8Array;
    const values = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const p = data.offset + i;
      values[i] = (bits[p >> 3]! >> (p & 7)) & 1;
    }
    return { kind: 'bool', values, ok };
  }
  const raw = data.values as ArrayLike<number | bigint>;
  const values = new Float64Array(data.length);
  if (raw instanceof BigInt64Array || raw instanceof BigUint64Array) {
    for (let i = 0; i < values.length; i++) values[i] = Number(raw[i]!);
    return { kind: 'num', values, ok, exact: raw.subarray(0, data.length) };
  } else {
    for (let i = 0; i < values.length; i++) values[i] = raw[i] as number;
  }
  return { kind: 'num', values, ok };
}

function span(t: TextVector, i: number): [number, number] {
  const o = (t.bytes as { offsets: Int32Array | BigInt64Array }).offsets;
  return o instanceof BigInt64Array ? [Number(o[i]!), Number(o[i + 1]!)] : [o[i]!, o[i + 1]!];
}

/** The string of row `i` (decodes it when the vector holds bytes). */
export function textAt(t: TextVector, i: number): string {
  if (t.strings) return t.strings[i] ?? '';
  const [s, e] = span(t, i);
  return decoder.decode((t.bytes as { values: Uint8Array }).values.subarray(s, e));
}

/** Code points per row, counted on the UTF-8 bytes without decoding when possible. */
export function textLength(t: TextVector): NumVector {
  const values = new Float64Array(t.length);
  for (let i = 0; i < t.length; i++) {
    if (!t.ok[i]) continue;
    if (t.bytes) {
      const [s, e] = span(t, i);
      const b = t.bytes.values;
      let n = 0;
      for (let j = s; j < e; j++) if ((b[j]! & 0xc0) !== 0x80) n++;
      values[i] = n;
    } else {
      let n = 0;
      for (const _ of textAt(t, i)) n++;
      values[i] = n;
    }
  }
  return { kind: 'num', values, ok: t.ok.slice() };
}

/** Compares row `i` of `t` with UTF-8 `c`: negative, 0 or positive, in code point order. */
function compareBytes(t: TextVector, i: number, c: Uint8Array): number {
  const [s, e] = span(t, i);
  const b = (t.bytes as { values: Uint8Array }).values;
  const n = Math.min(e - s, c.length);
  for (let j = 0; j < n; j++) {
    const d = b[s + j]! - c[j]!;
    if (d !== 0) return d;
  }
  return e - s - c.length;
}

/** Code point order (UTF-8 byte order), which JavaScript's UTF-16 `<` does not give for astral characters. */
export function compareText(a: string, b: string): number {
  const x = a[Symbol.iterator]();
  const y = b[Symbol.iterator]();
  for (;;) {
    const p = x.next();
    const q = y.next();
    if (p.done || q.done) return (p.done ? 0 : 1) - (q.done ? 0 : 1);
    const d = (p.value.codePointAt(0) as number) - (q.value.codePointAt(0) as number);
    if (d !== 0) return d;
  }
}

/** Per-row comparison of two text vectors; a constant side is compared as bytes when it can be. */
export function compareTexts(a: TextVector, b: TextVector, constB: string | undefined): Int32Array {
  const out = new Int32Array(a.length);
  if (constB !== undefined && a.bytes) {
    const c = new TextEncoder().encode(constB);
    for (let i = 0; i < a.length; i++) if (a.ok[i]) out[i] = Math.sign(compareBytes(a, i, c));
    return out;
  }
  for (let i = 0; i < a.length; i++) {
    if (a.ok[i] && b.ok[i]) out[i] = Math.sign(compareText(textAt(a, i), textAt(b, i)));
  }
  return out;
}

/** Maps each non-null string through `f`. */
export function mapText(t: TextVector, f: (s: string) => string): TextVector {
  const strings: (string | undefined)[] = new Array(t.length);
  for (let i = 0; i < t.length; i++) if (t.ok[i]) strings[i] = f(textAt(t, i));
  return { kind: 'text', length: t.length, ok: t.ok.slice(), strings };
}

/** A constant broadcast to `n` rows. */
export function constantVector(
  kind: 'num' | 'bool' | 'text',
  value: unknown,
  n: number,
  exact?: bigint,
): WhereVector {
  const ok = new Uint8Array(n).fill(value === null ? 0 : 1);
  if (kind === 'num') {
    const values = new Float64Array(n).fill(Number(value ?? 0));
    if (exact === undefined) return { kind, values, ok };
    const exacts = exact < 0n ? new BigInt64Array(n).fill(exact) : new BigUint64Array(n).fill(exact);
    return { kind, values, ok, exact: exacts };
  }
  if (kind === 'bool') return { kind, values: new Uint8Array(n).fill(value ? 1 : 0), ok };
  return { kind, length: n, ok, strings: new Array<string>(n).fill(String(value ?? '')) };
}

/** `LIKE` pattern as an anchored regular expression (`%`, `_`, `\` escapes), code point aware. */
export function likeRegExp(pattern: string, ignoreCase: boolean): RegExp {
  let re = '';
  let escaped = false;
  for (const ch of pattern) {
    if (escaped) {
      re += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      escaped = false;
    } else if (ch === '\\') escaped = true;
    else if (ch === '%') re += '[^]*';
    else if (ch === '_') re += '[^]';
    else re += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, ignoreCase ? 'iu' : 'u');
}
