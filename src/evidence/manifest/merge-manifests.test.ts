import { describe, expect, it } from 'vitest';
import { datasetDigest } from './dataset-digest.js';
import type { Manifest } from './manifest-schema.js';
import { buildSampleManifest } from './manifest-test-fixture.js';
import { mergeManifests } from './merge-manifests.js';

/** Splits the sample manifest into N shard manifests, one file each, as `--shard K/N` would. */
async function shards(): Promise<{ whole: Manifest; parts: Manifest[] }> {
  const { manifest: whole } = await buildSampleManifest();
  const output = whole.outputs[0];
  if (!output) throw new Error('no output');
  const parts = output.files.map((file, index): Manifest => {
    const files = [file];
    return {
      ...whole,
      run: { ...whole.run, id: `run-${index}`, shard: { index, count: output.files.length } },
      sources: whole.sources.map((s) => ({ ...s, rows: 1, masks: s.masks.map((m) => ({ ...m, rows: 1 })) })),
      outputs: [{ ...output, files, rows: file.rows, bytes: file.bytes, digest: datasetDigest(files) }],
    };
  });
  return { whole, parts };
}

const same = (manifest: Manifest) => ({ manifest, relocate: (p: string) => p });

describe('mergeManifests', () => {
  it('gives the dataset digest a single run over the same files gives, and sums the counts', async () => {
    const { whole, parts } = await shards();
    const merged = mergeManifests(parts.reverse().map(same));
    expect(merged.dataset.digest).toBe(whole.dataset.digest);
    expect(merged.outputs[0]?.digest).toBe(whole.outputs[0]?.digest);
    expect(merged.outputs[0]?.rows).toBe(whole.outputs[0]?.rows);
    expect(merged.sources[0]?.rows).toBe(2);
    expect(merged.sources[0]?.masks[0]?.rows).toBe(2);
    expect(merged.outputs[0]?.columns.find((c) => c.name === 'email_token')?.masks[0]?.rows).toBe(2);
    expect(merged.merged_from?.map((m) => m.shard)).toEqual(['0/2', '1/2']);
    expect(merged.run.shard).toBeUndefined();
  });

  it('refuses a missing shard, a repeated shard and a shard of another pipeline', async () => {
    const { parts } = await shards();
    const [a, b] = parts as [Manifest, Manifest];
    expect(() => mergeManifests([same(a)])).toThrow(/shard\(s\) 1\/2 missing/);
    expect(() => mergeManifests([same(a), same(a)])).toThrow(/given twice/);
    const other = { ...b, run: { ...b.run, pipeline: { ...b.run.pipeline, sha256: 'f'.repeat(64) } } };
    expect(() => mergeManifests([same(a), same(other)])).toThrow(/different pipeline/);
  });

  it('rewrites file paths relative to the merged manifest', async () => {
    const { parts } = await shards();
    const merged = mergeManifests(parts.map((m) => ({ manifest: m, relocate: (p: string) => `shard/${p}` })));
    expect(merged.outputs[0]?.files.map((f) => f.path)).toEqual([
      'shard/tickets/part-0.parquet',
      'shard/tickets/part-1.parquet',
    ]);
  });
});
