import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildSampleManifest } from '../manifest/manifest-test-fixture.js';
import { manifestDigest } from '../manifest/sign-manifest.js';
import { attachToModelCard } from './attach-model-card.js';

const CARD = `---
# A comment the owner wrote
license: apache-2.0
tags:
- text-generation
base_model: some/base   # trailing comment
---

# Model Card for support-bot

Some   text with odd   spacing.\r
Trailing line without newline`;

describe('attachToModelCard', () => {
  it('is idempotent: attaching twice gives the same card', async () => {
    const { manifest } = await buildSampleManifest();
    const once = attachToModelCard(CARD, manifest, { uri: '../data/manifest.json' });
    expect(attachToModelCard(once, manifest, { uri: '../data/manifest.json' })).toBe(once);
  });

  it('leaves everything outside the metadata key and the marked section byte-for-byte unchanged', async () => {
    const { manifest } = await buildSampleManifest();
    const out = attachToModelCard(CARD, manifest, { uri: '../data/manifest.json' });
    const [head, body] = [CARD.split('\n---\n')[0] ?? '', CARD.split('\n---\n')[1] ?? ''];
    expect(out.startsWith(head)).toBe(true);
    expect(out).toContain(`\n---\n${body}`);
    const meta = parse(/^---\n([\s\S]*?)\n---\n/.exec(out)?.[1] ?? '');
    expect(meta).toMatchObject({
      license: 'apache-2.0',
      base_model: 'some/base',
      usage_manifest: [{ uri: '../data/manifest.json', sha256: manifestDigest(manifest) }],
    });
    expect(out).toContain('## Training data provenance: support-tickets-demo');
  });

  it('updates the entry and section of the same manifest and adds a second manifest beside it', async () => {
    const { manifest } = await buildSampleManifest();
    const first = attachToModelCard(CARD, manifest, { uri: 'a/manifest.json' });
    const changed = { ...manifest, purpose: 'evaluation' };
    const updated = attachToModelCard(first, changed, { uri: 'a/manifest.json' });
    expect(updated.match(/sluice:training-data:start a\/manifest.json/g)).toHaveLength(1);
    expect(updated).toContain('**Purpose:** evaluation');
    expect(updated).not.toContain('**Purpose:** model-training');
    const both = attachToModelCard(updated, manifest, { uri: 'b/manifest.json' });
    const meta = parse(/^---\n([\s\S]*?)\n---\n/.exec(both)?.[1] ?? '') as {
      usage_manifest: { uri: string }[];
    };
    expect(meta.usage_manifest.map((r) => r.uri)).toEqual(['a/manifest.json', 'b/manifest.json']);
  });

  it('adds front matter to a card that has none, keeping the card after it', async () => {
    const { manifest } = await buildSampleManifest();
    const out = attachToModelCard('# Plain card\n', manifest, { uri: 'm.json' });
    expect(out.startsWith('---\nusage_manifest:\n')).toBe(true);
    expect(out).toContain('---\n# Plain card\n');
  });
});
