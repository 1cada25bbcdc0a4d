import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { demoProject, runCli } from './cli.js';

async function ticketIds(path: string): Promise<number[]> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const reader = await conn.runAndReadAll(
      `SELECT ticket_id::INTEGER AS id FROM read_parquet('${path}') ORDER BY 1`,
    );
    return (reader.getRowObjectsJS() as { id: number }[]).map((r) => r.id);
  } finally {
    conn.closeSync();
  }
}

describe('sharded runs', () => {
  it('split every source by a key hash into disjoint shards whose merged manifest covers the whole dataset', async () => {
    const dir = await demoProject();
    const text = await readFile(join(dir, 'pipelines/demo.yaml'), 'utf8');
    await writeFile(
      join(dir, 'pipelines/demo.yaml'),
      text
        .replace('    table: customers\n', '    table: customers\n    shard_by: id\n')
        .replace(
          /( {4}query: SELECT id, customer_id, subject, body, created_at FROM support_tickets\n)/,
          '$1    shard_by: customer_id\n',
        ),
    );
    for (const k of [0, 1, 2]) {
      const result = await runCli(['run', 'pipelines/demo.yaml', '--shard', `${k}/3`], { cwd: dir });
      expect(result.code, result.stderr).toBe(0);
    }
    const shards = [0, 1, 2].map((k) => join(dir, `out/demo/tickets-0000${k}-of-00003.parquet`));
    const ids = await Promise.all(shards.map(ticketIds));
    const all = ids.flat();
    expect(new Set(all).size).toBe(all.length); // no ticket in two shards
    expect(all.length).toBe(10_000); // every ticket in one (joins stay within a shard)
    for (const part of ids) expect(part.length).toBeGreaterThan(2_000);

    const manifests = [0, 1, 2].map((k) => `out/demo/manifest-0000${k}-of-00003.json`);
    const key = ['--public-key', 'fixtures/keys/manifest-demo.pub.pem'];
    const merge = await runCli(
      [
        'manifest',
        'merge',
        ...manifests,
        '--out',
        'out/demo/manifest.json',
        ...key,
        '--signing-key',
        'fixtures/keys/manifest-demo.pem',
      ],
      { cwd: dir },
    );
    expect(merge.code, merge.stderr).toBe(0);
    const verify = await runCli(['manifest', 'verify', 'out/demo/manifest.json', ...key], { cwd: dir });
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    const merged = JSON.parse(await readFile(join(dir, 'out/demo/manifest.json'), 'utf8'));
    const shardDigests = await Promise.all(
      manifests.map(async (m) => JSON.parse(await readFile(join(dir, m), 'utf8')).outputs[0].files[0].sha256),
    );
    const mergedDigests = merged.outputs.flatMap((o: { files: { sha256: string }[] }) =>
      o.files.map((f) => f.sha256),
    );
    expect([...mergedDigests].sort()).toEqual([...shardDigests].sort());
    expect(merged.dataset.rows).toBe(10_000);
  });

  it('refuses to shard a source without `shard_by`, naming it (exit 2)', async () => {
    const dir = await demoProject();
    const result = await runCli(['run', 'pipelines/demo.yaml', '--shard', '0/2'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Source `customers` has no `shard_by` column');
  });
});
