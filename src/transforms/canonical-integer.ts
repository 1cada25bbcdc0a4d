// Integers are hashed as their base-10 ASCII text, so the Int32 42, the Int64 42n and the string '42'
// give the same token and keys still join across columns of different types and across sources.

/** Size of the scratch buffer `writeDecimal` needs: a sign and 20 digits fit. */
export const DECIMAL_SCRATCH = 24;

/**
 * Writes the decimal text of the integer `n` (|n| < 2^53) right-aligned ending at `scratch[24]`;
 * returns the start index.
 */
export function writeDecimal(n: number, scratch: Uint8Array): number {
  let pos = DECIMAL_SCRATCH;
  const negative = n < 0;
  let v = negative ? -n : n;
  // Eight digits at a time in Int32 arithmetic (V8 turns `/ 10 | 0` into a multiply), not doubles.
  while (v >= 1e8) {
    const hi = Math.floor(v / 1e8);
    let lo = v - hi * 1e8;
    for (let k = 0; k < 8; k++) {
      const q = (lo / 10) | 0;
      scratch[--pos] = 48 + lo - q * 10;
      lo = q;
    }
    v = hi;
  }
  let x = v | 0;
  do {
    const q = (x / 10) | 0;
    scratch[--pos] = 48 + x - q * 10;
    x = q;
  } while (x > 0);
  if (negative) scratch[--pos] = 45;
  return pos;
}

/** Same as `writeDecimal` for any 64-bit integer. */
export function writeDecimalBig(n: bigint, scratch: Uint8Array): number {
  const text = n.toString();
  let pos = DECIMAL_SCRATCH - text.length;
  const start = pos;
  for (let i = 0; i < text.length; i++) scratch[pos++] = text.charCodeAt(i);
  return start;
}

/** 2^21: a 64-bit integer whose high word is below this in magnitude is exact as a double. */
export const EXACT_HIGH_WORD = 0x200000;
