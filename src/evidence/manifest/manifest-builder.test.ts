import { describe, expect, it } from 'vitest';
import { EventBus } from '../../core/events.js';
import { ManifestBuilder } from './manifest-builder.js';
import { manifestSchema } from './manifest-schema.js';
import { buildSampleManifest } from './manifest-test-fixture.js';

describe('ManifestBuilder', () => {
  it('builds a manifest that passes its own schema', async () => {
    const { manifest } = await buildSampleManifest();
    expect(manifestSchema.safeParse(manifest).success).toBe(true);
    expect(manifest.manifest_version).toBe('1.0');
  });

  it('records each source query with its fingerprint, relations and columns read', async () => {
    const { manifest } = await buildSampleManifest();
    const customers = manifest.sources.find((s) => s.name === 'customers');
    expect(customers?.query_fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(customers?.relations).toEqual(['public.customers']);
    expect(customers?.columns_read?.[0]?.columns).toEqual(['id', 'email', 'full_name', 'country']);
    expect(customers?.connection).toEqual({ name: 'crm', type: 'postgres' });
    expect(customers?.snapshot).toEqual({ lsn: '0/16B3748' });
  });

  it('traces select output columns back to source tables with the masks applied', async () => {
    const { manifest } = await buildSampleManifest();
    const columns = manifest.outputs[0]?.columns ?? [];
    const email = columns.find((c) => c.name === 'email_token');
    expect(email?.lineage).toEqual([
      {
        source: 'customers',
        column: 'email',
        upstream: [{ connection: 'crm', relation: 'public.customers', column: 'email' }],
      },
    ]);
    expect(email?.masks.map((m) => [m.mask, m.key_id, m.origin])).toEqual([['hmac', 'k1', 'policy']]);
    expect(columns.find((c) => c.name === 'subject')?.derived).toBe(true);
    expect(columns.find((c) => c.name === 'country')?.masks).toEqual([]);
  });

  it('maps a direct output column to the same column of its source', async () => {
    const { manifest } = await buildSampleManifest({ select: false });
    const output = manifest.outputs[0];
    expect(output?.source).toBe('customers');
    expect(output?.columns.find((c) => c.name === 'full_name')).toMatchObject({
      derived: false,
      lineage_complete: true,
      lineage: [{ source: 'customers', column: 'full_name' }],
      masks: [{ mask: 'redact' }],
    });
  });

  it('never records a key-material parameter even if a mask event carries one', async () => {
    const { manifest } = await buildSampleManifest();
    expect(JSON.stringify(manifest)).not.toContain('must-not-appear');
  });

  it('makes every path relative to the manifest and digests the dataset', async () => {
    const { manifest } = await buildSampleManifest();
    expect(manifest.run.pipeline.path).toBe('pipelines/demo.yaml');
    expect(manifest.policy?.path).toBe('policy.yaml');
    expect(manifest.outputs[0]?.files.map((f) => f.path)).toEqual([
      'tickets/part-0.parquet',
      'tickets/part-1.parquet',
    ]);
    expect(manifest.dataset).toMatchObject({ files: 2, rows: 5, digest: manifest.outputs[0]?.digest });
  });

  it('records null facts for a query PostgreSQL cannot parse', async () => {
    const builder = new ManifestBuilder();
    const bus = new EventBus('r1');
    bus.on(builder.listener);
    bus.emit({
      type: 'run_started',
      pipeline: { name: 'p', path: '/x/p.yaml', sha256: 'a'.repeat(64) },
      identity: { subject: 's', issuer: 'local', method: 'local', groups: [], verified: false },
      sluice_version: '0',
      host: 'h',
    });
    bus.emit({
      type: 'source_opened',
      source: 's',
      connection: 'files',
      connection_type: 'duckdb',
      query: "FROM read_parquet('x.parquet') SELECT *",
    });
    const manifest = await builder.finish({ manifestDir: '/x', finishedAt: new Date() });
    expect(manifest.sources[0]).toMatchObject({
      query_fingerprint: null,
      relations: null,
      columns_read: null,
    });
    expect(manifest.purpose).toBeNull();
  });

  it('refuses to build a manifest for a run that never started', async () => {
    await expect(new ManifestBuilder().finish({ manifestDir: '/x', finishedAt: new Date() })).rejects.toThrow(
      /never started/,
    );
  });
});
