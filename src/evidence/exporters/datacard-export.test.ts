import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildSampleManifest } from '../manifest/manifest-test-fixture.js';
import { manifestDigest } from '../manifest/sign-manifest.js';
import { toDatacard } from './datacard-export.js';

function frontMatter(card: string): Record<string, unknown> {
  const match = /^---\n([\s\S]*?)\n---\n/.exec(card);
  if (!match) throw new Error('no front matter');
  return parse(match[1] ?? '') as Record<string, unknown>;
}

describe('dataset card export', () => {
  it('writes Hub metadata with features, splits, data files and the manifest reference', async () => {
    const { manifest } = await buildSampleManifest();
    const meta = frontMatter(toDatacard(manifest, { license: 'other' }));
    expect(meta).toMatchObject({
      pretty_name: 'support-tickets-demo',
      license: 'other',
      size_categories: ['n<1K'],
      configs: [
        {
          config_name: 'default',
          data_files: [{ split: 'train', path: ['tickets/part-0.parquet', 'tickets/part-1.parquet'] }],
        },
      ],
      usage_manifest: { uri: 'manifest.json', sha256: manifestDigest(manifest) },
    });
    const info = (
      meta.dataset_info as { features: { name: string; dtype: string }[]; splits: unknown[] }[]
    )[0];
    expect(info?.features.slice(0, 3)).toEqual([
      { name: 'ticket_id', dtype: 'int64' },
      { name: 'customer_token', dtype: 'int64' },
      { name: 'email_token', dtype: 'string' },
    ]);
    expect(info?.splits).toEqual([{ name: 'train', num_bytes: 41, num_examples: 5 }]);
  });

  it('fills the personal and sensitive information section from the masks', async () => {
    const { manifest } = await buildSampleManifest();
    const card = toDatacard(manifest);
    const section = card.split('#### Personal and Sensitive Information')[1]?.split('\n## ')[0] ?? '';
    expect(section).toContain('| customers.email | hmac (key k1, output=hex) | policy | 3 | 0 |');
    expect(section).toContain('| customers.full_name | redact (value=[REDACTED]) | pipeline | 3 | 1 |');
    expect(section).toContain('| tickets.customer_id |');
  });

  it('says so plainly when no mask was applied', async () => {
    const { manifest } = await buildSampleManifest();
    const bare = { ...manifest, sources: manifest.sources.map((s) => ({ ...s, masks: [] })) };
    expect(toDatacard(bare)).toContain('Sluice applied no mask to this dataset.');
  });
});
