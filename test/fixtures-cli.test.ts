import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli.js';

async function digests(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) {
    out[name] = createHash('sha256')
      .update(await readFile(join(dir, name)))
      .digest('hex');
  }
  return out;
}

describe('pipeline fixtures generate', () => {
  for (const format of ['parquet', 'csv'] as const) {
    it(`writes byte-identical ${format} files for the same seed and size, and different ones for another seed`, async () => {
      const base = await mkdtemp(join(tmpdir(), 'sluice-fixtures-'));
      const run = (out: string, seed: string) =>
        runCli([
          'fixtures',
          'generate',
          '--rows',
          '500',
          '--seed',
          seed,
          '--format',
          format,
          '--out',
          join(base, out),
        ]);
      for (const [out, seed] of [
        ['a', '7'],
        ['b', '7'],
        ['c', '8'],
      ] as const) {
        const result = await run(out, seed);
        expect(result.code, result.stderr).toBe(0);
      }
      const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((d) => digests(join(base, d))));
      expect(Object.keys(a ?? {})).toEqual([
        `customers.${format}`,
        `orders.${format}`,
        `support_tickets.${format}`,
      ]);
      expect(b).toEqual(a);
      expect(c?.[`customers.${format}`]).not.toBe(a?.[`customers.${format}`]);
    });
  }

  it('rejects a size that is not a positive whole number with exit 2', async () => {
    const result = await runCli(['fixtures', 'generate', '--rows', 'many', '--out', tmpdir()]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Expected a positive whole number');
  });
});
