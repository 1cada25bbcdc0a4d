import jsonld from 'jsonld';
import { describe, expect, it } from 'vitest';
import { buildSampleManifest } from '../manifest/manifest-test-fixture.js';
import { toCroissant } from './croissant-export.js';

const CR = 'http://mlcommons.org/croissant/';
const RAI = 'http://mlcommons.org/croissant/RAI/';
const PROV = 'http://www.w3.org/ns/prov#';

/** Refuses every remote document: expansion must succeed with the inline context alone. Safe mode
 * also fails on any property or value the context drops, so every term must map to an IRI. */
const offline = async (url: string) => {
  throw new Error(`network access attempted: ${url}`);
};

async function expand(doc: Record<string, unknown>): Promise<unknown> {
  return jsonld.expand(
    doc as jsonld.JsonLdDocument,
    { documentLoader: offline as never, safe: true, base: 'file:///data/tickets/' } as never,
  );
}

describe('Croissant export', () => {
  it('is valid JSON-LD that expands without network to Croissant, RAI and PROV-O terms', async () => {
    const { manifest } = await buildSampleManifest();
    const [dataset] = (await expand(toCroissant(manifest))) as unknown as Record<string, unknown>[];
    expect(dataset?.['@type']).toEqual(['https://schema.org/Dataset']);
    for (const term of [
      `${CR}recordSet`,
      `${RAI}personalSensitiveInformation`,
      `${RAI}dataCollection`,
      `${RAI}dataPreprocessingProtocol`,
      `${PROV}wasGeneratedBy`,
      `${PROV}wasDerivedFrom`,
      'http://purl.org/dc/terms/conformsTo',
      'https://schema.org/distribution',
    ]) {
      expect(dataset, term).toHaveProperty([term]);
    }
  });

  it('lists every file with its sha256 and every masked column in the RAI fields', async () => {
    const { manifest } = await buildSampleManifest();
    const doc = toCroissant(manifest) as {
      distribution: { contentUrl: string; sha256: string }[];
      'rai:personalSensitiveInformation': string[];
    };
    expect(doc.distribution.map((d) => [d.contentUrl, d.sha256])).toEqual(
      manifest.outputs[0]?.files.map((f) => [f.path, f.sha256]),
    );
    const pii = doc['rai:personalSensitiveInformation'].join('\n');
    expect(pii).toContain('email_token: hmac (key k1, output=hex)');
    expect(pii).toContain('full_name: redact');
    expect(pii).not.toContain('country');
  });

  it('derives each field from its source table column', async () => {
    const { manifest } = await buildSampleManifest();
    const doc = toCroissant(manifest) as {
      recordSet: { field: { name: string; 'prov:wasDerivedFrom'?: { '@id': string }[] }[] }[];
    };
    const email = doc.recordSet[0]?.field.find((f) => f.name === 'email_token');
    expect(email?.['prov:wasDerivedFrom']).toEqual([
      { '@id': 'urn:sluice:source:crm:public.customers:email' },
    ]);
  });
});
