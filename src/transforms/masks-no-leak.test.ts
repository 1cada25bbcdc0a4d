import { faker } from '@faker-js/faker';
import { Utf8, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import type { ComponentContext } from '../core/context.js';
import { builtinMasks } from './builtin-masks.js';

const ctx = {
  keys: { get: async () => new Uint8Array(32).fill(9), ids: () => ['k'] },
} as unknown as ComponentContext;

function corpus(): string[] {
  faker.seed(20240611);
  const emails = Array.from({ length: 500 }, () => faker.internet.email());
  const ssns = Array.from(
    { length: 500 },
    () => `${faker.string.numeric(3)}-${faker.string.numeric(2)}-${faker.string.numeric(4)}`,
  );
  return [...emails, ...ssns];
}

const configs: Record<string, Record<string, unknown>[]> = {
  redact: [{}, { value: 'x' }],
  hmac: [{ key_id: 'k' }, { key_id: 'k', output: 'base32' }, { key_id: 'k', output: 'int64' }],
  partial: [{}, { keep_last: 4 }, { keep_first: 1, keep_last: 2 }, { format: 'email' }],
  null: [{}],
  fake: [
    { key_id: 'k', kind: 'email' },
    { key_id: 'k', kind: 'name' },
    { key_id: 'k', kind: 'phone' },
  ],
};

describe('masks on a corpus of emails and SSNs', () => {
  it('never let a whole original value through', async () => {
    const values = corpus();
    const originals = new Set(values);
    const vector = vectorFromArray(values, new Utf8());
    for (const definition of builtinMasks) {
      for (const options of configs[definition.type] ?? []) {
        const config = definition.configSchema.parse({ mask: definition.type, ...options });
        const out = (await definition.create(config, ctx))(vector, undefined as never);
        const texts = [...out].map(String);
        const leaked = texts.filter((t) => originals.has(t) || values.some((v) => t.includes(v)));
        expect(leaked, `${definition.type} ${JSON.stringify(options)}`).toEqual([]);
      }
    }
  });
});
