import { Int64, Utf8 } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { applyStages } from './batch-stage.js';
import { checkOutputStages } from './check-output-stages.js';
import { batchOf, columnValues, ticketBatch } from './test-batches.js';
import { compileWhere } from './where-predicate.js';
import { WhereStage } from './where-stage.js';

const schema = batchOf({
  id: { type: new Int64(), values: [] },
  customer: { type: new Utf8(), values: [] },
  text: { type: new Utf8(), values: [] },
}).schema;

describe('checkOutputStages', () => {
  it('reports every stage column missing from the output, at its own path', async () => {
    const issues = await checkOutputStages(
      {
        format: 'jsonl',
        path: 'out/ds',
        where: "custmer = 'x'",
        text: { columns: ['text', 'id'], normalize: true, on_too_long: 'drop' },
        dedup: { columns: ['txt'] },
        sample: { rows: 10, seed: 0, stratify_by: 'lang', by: ['id'] },
        split: { by: 'nope', parts: { train: 1 } },
        template: { messages: [{ role: 'user', content: '{{body}}' }] },
      },
      schema,
    );
    expect(issues.map((i) => i.path.join('.'))).toEqual([
      'where',
      'text.columns.1',
      'dedup.columns.0',
      'sample.stratify_by',
      'split.by',
      'template',
    ]);
    expect(issues[0]?.message).toMatch(/unknown column `custmer`\. Did you mean `customer`\?/);
    expect(issues[1]?.message).toMatch(/`id` .*text \(Utf8\)/);
    expect(issues[2]?.message).toMatch(/Did you mean `text`\?/);
  });

  it('finds nothing wrong with stages that name existing columns', async () => {
    const config = {
      format: 'parquet',
      path: 'out/ds',
      where: 'id > 3',
      sample: { fraction: 0.5, seed: 1, stratify_by: 'customer' },
      split: { by: 'customer', parts: { train: 0.9, test: 0.1 } },
    };
    expect(await checkOutputStages(config, schema)).toEqual([]);
  });
});

describe('WhereStage', () => {
  it('passes the kept rows on and counts the filtered ones', async () => {
    const batches = [ticketBatch(0, 500), ticketBatch(500, 500)];
    const stage = new WhereStage(await compileWhere("id % 10 = 0 AND customer <> 'c0'", batches[0]!.schema));
    const ids: unknown[] = [];
    async function* from() {
      yield* batches;
    }
    for await (const b of applyStages(from(), [stage])) ids.push(...columnValues(b, 'id'));
    expect(ids).toHaveLength(99);
    expect(stage.drops()).toEqual([{ stage: 'where', reason: 'filtered', rows: 901 }]);
  });
});
