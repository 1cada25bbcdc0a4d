import { Utf8, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { hmacConfigSchema, hmacMask } from './hmac-mask.js';
import { maskTestContext } from './mask-test-context.js';
import { partialConfigSchema, partialMask } from './partial-mask.js';
import { redactPiiConfigSchema, redactPiiMask } from './redact-pii-mask.js';

const ctx = maskTestContext();
const run = async (options: Record<string, unknown>, texts: (string | null)[]) => [
  ...(await redactPiiMask.create(redactPiiConfigSchema.parse({ mask: 'redact_pii', ...options }), ctx))(
    vectorFromArray(texts, new Utf8()),
    undefined as never,
  ),
];

describe('redact_pii mask', () => {
  it('replaces each entity by its label and keeps the rest of the text, nulls and clean texts', async () => {
    const out = await run({}, [
      'Hi, I am ann@example.com — call +44 20 7946 0958, card 4111-1111-1111-1111 ✓',
      null,
      'No personal data here, order 12.',
      'SSN 123-45-6789 from 10.0.0.7 with token=Q8v!x2LmZr5#kP0w',
    ]);
    expect(out).toEqual([
      'Hi, I am [EMAIL] — call [PHONE], card [CARD] ✓',
      null,
      'No personal data here, order 12.',
      'SSN [SSN] from [IP] with token=[SECRET]',
    ]);
  });

  it('writes the hmac token of each entity, equal to the hmac mask token of that text', async () => {
    const [out] = await run({ replace: 'hmac', key_id: 'a' }, ['mail ann@example.com now']);
    const token = (await hmacMask.create(hmacConfigSchema.parse({ mask: 'hmac', key_id: 'a' }), ctx))(
      vectorFromArray(['ann@example.com'], new Utf8()),
      undefined as never,
    ).get(0);
    expect(out).toBe(`mail ${token} now`);
  });

  it('replaces only the kinds asked for', async () => {
    expect(await run({ kinds: ['email'] }, ['ann@example.com 123-45-6789'])).toEqual(['[EMAIL] 123-45-6789']);
  });

  it('needs a key id for hmac replacement', () => {
    expect(redactPiiConfigSchema.safeParse({ mask: 'redact_pii', replace: 'hmac' }).success).toBe(false);
  });
});

describe('partial mask with format phone', () => {
  it('hides all digits but the last four and keeps separators', async () => {
    const kernel = await partialMask.create(
      partialConfigSchema.parse({ mask: 'partial', format: 'phone' }),
      ctx,
    );
    const out = [
      ...kernel(
        vectorFromArray(['+1 (415) 555-0132', '0612345678', '12', null], new Utf8()),
        undefined as never,
      ),
    ];
    expect(out).toEqual(['+* (***) ***-0132', '******5678', '12', null]);
  });

  it('takes `keep_last` digits and refuses `keep_first`', async () => {
    const kernel = await partialMask.create(
      partialConfigSchema.parse({ mask: 'partial', format: 'phone', keep_last: 2 }),
      ctx,
    );
    expect(kernel(vectorFromArray(['030 1234-5678'], new Utf8()), undefined as never).get(0)).toBe(
      '*** ****-**78',
    );
    expect(partialConfigSchema.safeParse({ mask: 'partial', format: 'phone', keep_first: 1 }).success).toBe(
      false,
    );
  });
});
