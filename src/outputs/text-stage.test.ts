import { Int64, Utf8 } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { batchOf, columnValues } from './test-batches.js';
import { countTokens, normalizeText, TextStage } from './text-stage.js';

describe('normalizeText', () => {
  it('composes accents, removes control characters and collapses spaces', () => {
    expect(normalizeText('  Cafe\u0301\u0007 \t  au   lait\r\n\r\n\r\n\r\nbye ')).toBe('Café au lait\n\nbye');
  });
});

describe('countTokens', () => {
  it('counts words and punctuation marks as tokens', () => {
    expect(countTokens("Hello, world! It's 42.")).toBe(9);
  });
});

describe('TextStage', () => {
  const batch = batchOf({
    id: { type: new Int64(), values: [1n, 2n, 3n, 4n] },
    body: { type: new Utf8(), values: ['short  text', 'one two three four five six', null, 'x\u0000y'] },
  });

  it('drops rows over the token limit and counts them', () => {
    const stage = new TextStage({ columns: ['body'], normalize: true, maxTokens: 5, onTooLong: 'drop' });
    const out = stage.push(batch);
    expect(columnValues(out[0]!, 'id')).toEqual([1n, 3n, 4n]);
    expect(columnValues(out[0]!, 'body')).toEqual(['short text', null, 'xy']);
    expect(stage.drops()).toEqual([{ stage: 'text', reason: 'too_long', rows: 1 }]);
  });

  it('truncates to the character limit instead when asked, and counts the truncated values', () => {
    const stage = new TextStage({ columns: ['body'], normalize: false, maxChars: 7, onTooLong: 'truncate' });
    const out = stage.push(batch);
    expect(columnValues(out[0]!, 'body')).toEqual(['short  ', 'one two', null, 'x\u0000y']);
    expect(stage.drops()).toContainEqual({ stage: 'text', reason: 'truncated_kept', rows: 2 });
  });
});
