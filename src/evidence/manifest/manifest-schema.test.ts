import { readFile } from 'node:fs/promises';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { manifestJsonSchema, manifestSchema } from './manifest-schema.js';
import { buildSampleManifest } from './manifest-test-fixture.js';

function ajv() {
  const a = new Ajv2020.default({ strict: false, allErrors: true });
  a.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$/);
  return a;
}

describe('manifest schema', () => {
  it('publishes a JSON Schema that accepts a built manifest and rejects a broken one', async () => {
    const validate = ajv().compile(JSON.parse(manifestJsonSchema()));
    const { manifest } = await buildSampleManifest();
    expect(validate(manifest), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...manifest, dataset: { ...manifest.dataset, digest: 'nope' } })).toBe(false);
    expect(validate({ ...manifest, credentials: 'x' })).toBe(false);
  });

  it('matches the checked-in docs/schema/manifest.schema.json (run `pipeline schema --write docs/schema`)', async () => {
    const file = await readFile(
      new URL('../../../docs/schema/manifest.schema.json', import.meta.url),
      'utf8',
    );
    expect(file).toBe(manifestJsonSchema());
  });

  it('rejects unknown keys so a misspelled field is not silently ignored', async () => {
    const { manifest } = await buildSampleManifest();
    const result = manifestSchema.safeParse({ ...manifest, run: { ...manifest.run, stauts: 'x' } });
    expect(result.success).toBe(false);
  });
});
