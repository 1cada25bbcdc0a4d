import { Int64, Utf8 } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { ChatTemplate } from './chat-template.js';
import { batchOf } from './test-batches.js';

const template = new ChatTemplate({
  messages: [
    { role: 'system', content: 'You are a support assistant.' },
    { role: 'user', content: '{{subject}}\n{{body}}' },
    { role: 'assistant', content: 'Ticket {{ id }}' },
  ],
});

describe('ChatTemplate', () => {
  const batch = batchOf({
    id: { type: new Int64(), values: [1n, 2n, 3n] },
    subject: { type: new Utf8(), values: ['Refund', null, 'Login'] },
    body: { type: new Utf8(), values: ['I want my money back', 'no subject', 'Cannot log in'] },
  });

  it('maps each row into system, user and assistant messages', () => {
    const out = template.apply(batch);
    const rows = out.toArray().map((r) => JSON.parse(JSON.stringify(r.toJSON())));
    expect(rows[0]).toEqual({
      messages: [
        { role: 'system', content: 'You are a support assistant.' },
        { role: 'user', content: 'Refund\nI want my money back' },
        { role: 'assistant', content: 'Ticket 1' },
      ],
    });
    expect(rows[1].messages[2]).toEqual({ role: 'assistant', content: 'Ticket 3' });
  });

  it('leaves out and counts a row with a null in a placeholder column, instead of writing it half', () => {
    const t = new ChatTemplate({ messages: [{ role: 'user', content: '{{subject}}' }] });
    expect(t.apply(batch).numRows).toBe(2);
    expect(t.drops()).toEqual([{ stage: 'template', reason: 'missing_value', rows: 1 }]);
  });

  it('refuses a non-JSONL output and a placeholder naming no column', () => {
    expect(() => template.check(batch.schema, 'parquet', 'output `x`')).toThrow(/format: jsonl/);
    const t = new ChatTemplate({ messages: [{ role: 'user', content: '{{answer}}' }] });
    expect(() => t.check(batch.schema, 'jsonl', 'output `x`')).toThrow(/`answer`/);
  });
});
