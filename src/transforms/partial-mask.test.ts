import { Int32, LargeUtf8, Utf8, type Vector, vectorFromArray } from 'apache-arrow';
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
});
