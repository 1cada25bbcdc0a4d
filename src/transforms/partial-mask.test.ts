import { type Data, Int32, LargeUtf8, makeData, Utf8, Vector, vectorFromArray } from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type PartialConfig, partialConfigSchema, partialMask } from './partial-mask.js';

async function partial(
  texts: (string | null)[] | Vector,
  options: Record<string, unknown>,
): Promise<unknown[]> {
  const config = partialConfigSchema.parse({ mask: 'partial', ...options }) as PartialConfig;
  const vector = Array.isArray(texts) ? vectorFromArray(texts, new Utf8()) : texts;
  return [...(await partialMask.create(config, undefined as never))(vector, undefined as never)];
}

describe('partial mask', () => {
  it('keeps the first and last characters and hides the rest, keeping the length', async () => {
    expect(await partial(['123-45-6789', null], { keep_last: 4 })).toEqual(['*******6789', null]);
    expect(await partial(['4111111111111111'], { keep_first: 2, keep_last: 4, mask_char: '#' })).toEqual([
      '41##########1111',
    ]);
    expect(await partial(['secret'], {})).toEqual(['******']);
  });

  it('counts characters as code points, not bytes', async () => {
    expect(await partial(['Zoë Ñúñez', '😀ab😀'], { keep_first: 1, keep_last: 1 })).toEqual([
      'Z*******z',
      '😀**😀',
    ]);
    expect(await partial(['abcd'], { keep_last: 1, mask_char: '•' })).toEqual(['•••d']);
  });

  it('masks a value entirely when it is not longer than the characters it would keep', async () => {
    expect(await partial(['abc', 'abcd', 'abcde', ''], { keep_first: 2, keep_last: 2 })).toEqual([
      '***',
      '****',
      'ab*de',
      '',
    ]);
  });

  it('keeps the first character of an email and its domain', async () => {
    expect(
      await partial(['john.doe@example.com', 'j@x.org', 'no-at-sign', 'ünïcode@exämple.de', null], {
        format: 'email',
      }),
    ).toEqual(['j*******@example.com', '*@x.org', '**********', 'ü******@exämple.de', null]);
  });

  it('masks a sliced vector like the unsliced values', async () => {
    const texts = Array.from({ length: 25 }, (_, i) => (i % 5 === 0 ? null : `value-${i}`));
    const whole = await partial(texts, { keep_last: 2 });
    expect(await partial(vectorFromArray(texts, new Utf8()).slice(7, 24), { keep_last: 2 })).toEqual(
      whole.slice(7, 24),
    );
  });

  it('takes only Utf8 columns and rejects conflicting options', () => {
    const config = partialConfigSchema.parse({ mask: 'partial' }) as PartialConfig;
    expect(partialMask.outputType(new Utf8(), config)).toBeInstanceOf(Utf8);
    for (const type of [new Int32(), new LargeUtf8()]) {
      expect(() => partialMask.outputType(type, config)).toThrow(
        expect.objectContaining({ code: 'SCHEMA_MISMATCH' }),
      );
    }
    expect(partialConfigSchema.safeParse({ mask: 'partial', format: 'email', keep_last: 2 }).success).toBe(
      false,
    );
    expect(partialConfigSchema.safeParse({ mask: 'partial', mask_char: '**' }).success).toBe(false);
  });

  it('gives the same result as masking code points one by one, for ASCII and non-ASCII texts alike', async () => {
    const text = fc.oneof(
      fc.string({ unit: fc.constantFrom('a', 'b', '1', '2', '@', '.', '-', ' ', '(', '+'), maxLength: 30 }),
      fc.string({ unit: 'grapheme', maxLength: 12 }),
    );
    const options = fc.oneof(
      fc.record({ keep_first: fc.nat(5), keep_last: fc.nat(5), mask_char: fc.constantFrom('*', '#', '•') }),
      fc.record({ format: fc.constant('email'), mask_char: fc.constantFrom('*', '•') }),
      fc.record({ format: fc.constant('phone'), keep_last: fc.nat(6), mask_char: fc.constantFrom('*', '•') }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.option(text, { freq: 6 }), { maxLength: 20 }),
        options,
        async (texts, opts) => {
          expect(await partial(texts, opts)).toEqual(
            texts.map((t) => (t === null ? null : reference(t, opts))),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never copies the bytes behind a null slot into the output', async () => {
    // Arrow lets a null slot own bytes; a masked column must not carry them along.
    const bytes = new TextEncoder().encode('abcsecretdef');
    const data = makeData({
      type: new Utf8(),
      length: 3,
      nullCount: 1,
      nullBitmap: new Uint8Array([0b101]),
      valueOffsets: new Int32Array([0, 3, 9, 12]),
      data: bytes,
    });
    const config = partialConfigSchema.parse({ mask: 'partial', keep_last: 1 }) as PartialConfig;
    const out = (await partialMask.create(config, undefined as never))(
      new Vector([data as Data]),
      undefined as never,
    );
    expect([...out]).toEqual(['**c', null, '**f']);
    expect(new TextDecoder().decode(out.data[0]!.values as Uint8Array)).not.toContain('secret');
  });
});

/** The documented behaviour, written the slow and obvious way on code points. */
function reference(text: string, opts: Record<string, unknown>): string {
  const chars = [...text];
  const mask = String(opts.mask_char ?? '*');
  if (opts.format === 'phone') {
    const keep = Number(opts.keep_last ?? 4);
    const digits = chars.filter((c) => c >= '0' && c <= '9').length;
    let seen = 0;
    return chars.map((c) => (c >= '0' && c <= '9' && seen++ < digits - keep ? mask : c)).join('');
  }
  if (opts.format === 'email') {
    const at = text.lastIndexOf('@');
    if (at < 0) return mask.repeat(chars.length);
    const local = [...text.slice(0, at)];
    const head = local.length <= 1 ? mask.repeat(local.length) : local[0] + mask.repeat(local.length - 1);
    return head + text.slice(at);
  }
  const first = Number(opts.keep_first ?? 0);
  const last = Number(opts.keep_last ?? 0);
  if (chars.length <= first + last) return mask.repeat(chars.length);
  return (
    chars.slice(0, first).join('') +
    mask.repeat(chars.length - first - last) +
    chars.slice(chars.length - last).join('')
  );
}
