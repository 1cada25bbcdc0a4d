import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SluiceError } from '../src/core/errors.js';
import { runPipeline } from '../src/main.js';
import { demoProject } from './cli.js';

let dir: string;

async function pipeline(name: string, sources: string, transforms = ''): Promise<string> {
  const path = join(dir, `pipelines/${name}.yaml`);
  await writeFile(
    path,
    `version: 1
name: ${name}
purpose: model-training
sources:
${sources}
${transforms}
outputs:
  - { path: ../out/${name}/rows.jsonl, format: jsonl }
`,
  );
  return path;
}

async function rows(name: string): Promise<{ id: number; ordered_at: string }[]> {
  const text = await readFile(join(dir, `out/${name}/rows.jsonl`), 'utf8');
  return text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

beforeAll(async () => {
  dir = await demoProject();
  const policy = join(dir, 'fixtures/policies/demo-policy.yaml');
  await writeFile(policy, `${await readFile(policy, 'utf8')}    row_limit: 400\n`);
}, 120_000);

describe('incremental sources under the policy (fixture connection)', () => {
  it('pages through a table under a row limit: each run continues after the last (timestamp, id) read', async () => {
    const path = await pipeline(
      'orders-paged',
      `  orders:
    connection: demo
    query: SELECT id, ordered_at FROM orders
    incremental: { column: ordered_at, tiebreaker: id }`,
    );
    await runPipeline({ pipeline: path });
    const first = await rows('orders-paged');
    await runPipeline({ pipeline: path });
    const second = await rows('orders-paged');
    expect(first).toHaveLength(400);
    expect(second).toHaveLength(400);
    const key = (r: { id: number; ordered_at: string }) => [Date.parse(r.ordered_at), Number(r.id)] as const;
    const last = first.map(key).reduce((a, b) => (b[0] > a[0] || (b[0] === a[0] && b[1] > a[1]) ? b : a));
    for (const r of second.map(key))
      expect(r[0] > last[0] || (r[0] === last[0] && r[1] > last[1])).toBe(true);
  });

  it('refuses a watermark column the policy classifies as sensitive', async () => {
    const path = await pipeline(
      'customers-by-id',
      `  customers:
    connection: demo
    query: SELECT id, country FROM customers
    incremental: { column: id }`,
      'transforms:\n  customers:\n    id: { mask: hmac, key_id: demo, output: int64 }',
    );
    const err = (await runPipeline({ pipeline: path }).catch((e: unknown) => e)) as SluiceError;
    expect(err.code).toBe('POLICY_DENIED');
    expect(err.message).toContain('`id` is masked');
  });
});
