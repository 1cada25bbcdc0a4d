import { Utf8 } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { NearDedupStage } from './near-dedup-stage.js';
import { batchOf, columnValues } from './test-batches.js';

const base =
  'My order 4411 arrived damaged: the box was crushed and the blender jar is cracked. Please send a replacement or refund.';

describe('NearDedupStage', () => {
  it('drops texts that differ only by spacing, case or a word, and keeps different texts', () => {
    const texts = [
      base,
      base.toUpperCase(),
      base.replace(/ /g, '   '),
      base.replace('crushed', 'squashed'),
      'How do I change the e-mail address on my account? The settings page gives an error.',
      'I was charged twice for the same subscription this month; please refund one payment.',
      null,
      null,
    ];
    const stage = new NearDedupStage('t', 0.8, 5);
    const out = stage.push(batchOf({ t: { type: new Utf8(), values: texts } }));
    expect(columnValues(out[0]!, 't')).toEqual([base, texts[4], texts[5], null, null]);
    expect(stage.drops()).toEqual([{ stage: 'near_dedup', reason: 'near_duplicate', rows: 3 }]);
  });

  it('keeps texts that share only half their content', () => {
    const other = `${base.slice(0, 60)} Also, can you tell me when the new model of the kettle will be in stock?`;
    const stage = new NearDedupStage('t', 0.8, 5);
    const out = stage.push(batchOf({ t: { type: new Utf8(), values: [base, other] } }));
    expect(out[0]?.numRows).toBe(2);
  });
});
