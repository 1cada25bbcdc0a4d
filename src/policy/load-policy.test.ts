import { describe, expect, it } from 'vitest';
import { ConfigError, type SluiceError } from '../core/errors.js';
import { loadPolicy, parsePolicy } from './load-policy.js';

const MINIMAL = `version: 1
classes:
  pii.email:
    satisfied_by:
      - mask: hmac
classifications:
  demo.main.customers.email: pii.email
purposes:
  model-training:
    description: Training.
rules:
  - id: everyone
    subjects: ["*"]
    purposes: [model-training]
    connections: [demo]
    tables: [customers]
`;

async function problems(text: string): Promise<string[]> {
  const err = await parsePolicy(text, 'policy.yaml').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ConfigError);
  return (err as ConfigError).issues.map((i) => `${i.line ?? '?'} ${i.path}: ${i.message}`);
}

describe('loadPolicy', () => {
  it('loads the demo policy', async () => {
    const policy = await loadPolicy('fixtures/policies/demo-policy.yaml');
    expect(policy.version).toMatch(/^[0-9a-f]{64}$/);
    expect(policy.classify('demo', 'customers', 'email', 'fixture')).toEqual(['pii.email']);
    expect(policy.classify('demo', 'customers', 'country', 'fixture')).toEqual([]);
    expect(policy.policy.rules[0]?.allow_unverified).toBe(true);
  });

  it('reports a missing file as not found', async () => {
    const err = await loadPolicy('fixtures/policies/nope.yaml').catch((e: unknown) => e);
    expect((err as SluiceError).code).toBe('CONFIG_NOT_FOUND');
  });

  it('keeps its version when only comments, key order and formatting change', async () => {
    const a = await parsePolicy(MINIMAL);
    const reformatted = `# the same policy, written differently
version: 1
purposes: { model-training: { description: "Training." } }
rules:
  - { id: everyone, tables: [customers], connections: [demo], purposes: [model-training], subjects: ['*'] }
classifications: { demo.main.customers.email: pii.email }
classes: { pii.email: { satisfied_by: [ { mask: hmac } ] } }
`;
    expect((await parsePolicy(reformatted)).version).toBe(a.version);
  });

  it('changes its version when the content changes', async () => {
    const a = await parsePolicy(MINIMAL);
    const b = await parsePolicy(MINIMAL.replace('- mask: hmac', '- mask: redact'));
    expect(b.version).not.toBe(a.version);
  });

  it('reports an unknown class with its line and a suggestion', async () => {
    const found = await problems(MINIMAL.replace('customers.email: pii.email', 'customers.email: pii.emial'));
    expect(found).toEqual([
      '7 classifications.demo.main.customers.email: Class `pii.emial` is not defined under `classes`. Did you mean `pii.email`? Defined: `pii.email`.',
    ]);
  });

  it('reports every problem at once, each located', async () => {
    const text = `${MINIMAL}  - id: everyone
    purposes: [research]
    connections: [demo]
    tables: [a.b.c]
    row_filter:
      customers: "country = 'US'; DROP TABLE customers"
`.replace('demo.main.customers.email:', 'customers.email:');
    const found = await problems(text);
    expect(found).toHaveLength(6);
    expect(found.join('\n')).toContain('Classification `customers.email` must have four parts');
    expect(found.join('\n')).toContain('Rule id `everyone` is also used by rule 1');
    expect(found.join('\n')).toContain('names no `subjects` and no `groups`');
    expect(found.join('\n')).toContain('Purpose `research` is not declared');
    expect(found.join('\n')).toContain('`a.b.c` is not a valid name pattern');
    expect(found.join('\n')).toContain('The row filter for `customers` is not usable');
    expect(found.every((f) => /^\d+ /.test(f))).toBe(true);
  });

  it('rejects unknown keys and a missing version', async () => {
    const found = await problems(
      MINIMAL.replace('version: 1\n', '').replace('- id: everyone', '- id: everyone\n    subject: [x]'),
    );
    expect(found.join('\n')).toContain('version');
    expect(found.join('\n')).toContain('Unknown key `subject`');
  });

  it('requires approvers when something can require an approval', async () => {
    const found = await problems(
      MINIMAL.replace('    description: Training.', '    description: Training.\n    require_approval: true'),
    );
    expect(found.join('\n')).toContain('can require an approval, but no approvers are named');
  });

  it('checks mask names against the registered masks when given', async () => {
    const err = await parsePolicy(MINIMAL.replace('mask: hmac', 'mask: redat'), 'p.yaml', {
      masks: ['hmac', 'redact'],
    }).catch((e: unknown) => e);
    expect((err as ConfigError).message).toContain('Mask `redat` is not registered. Did you mean `redact`?');
  });

  it('does not read environment variables unless given them', async () => {
    const text = MINIMAL.replace('Training.', ['$', '{PURPOSE_TEXT}'].join(''));
    const found = await problems(text);
    expect(found.join('\n')).toContain('Environment variable `PURPOSE_TEXT` is not set');
    const loaded = await parsePolicy(text, 'p.yaml', { env: { PURPOSE_TEXT: 'Training.' } });
    expect(loaded.version).toBe((await parsePolicy(MINIMAL)).version);
  });
});
