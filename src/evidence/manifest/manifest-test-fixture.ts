import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBus } from '../../core/events.js';
import { sha256Hex } from '../canonical-json.js';
import { ManifestBuilder } from './manifest-builder.js';
import type { Manifest } from './manifest-schema.js';

const col = (name: string, type = 'Utf8') => ({ name, type, nullable: true });

export const DEMO_SELECT = `SELECT t.id AS ticket_id,
       t.customer_id AS customer_token,
       c.email AS email_token,
       c.full_name,
       c.country,
       upper(t.subject) AS subject
FROM tickets t
JOIN customers c ON c.id = t.customer_id
ORDER BY t.id`;

/**
 * Emits the events of a small demo-like run (two sources, masks, a `select`, one Parquet output
 * of two files written into `dir`) and returns the builder's manifest. For tests only.
 */
export async function buildSampleManifest(
  options: { select?: boolean; dir?: string } = {},
): Promise<{ dir: string; manifestPath: string; manifest: Manifest }> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'sluice-manifest-')));
  const dataDir = join(dir, 'tickets');
  await mkdir(dataDir, { recursive: true });
  const contents = ['part-0 bytes', 'part-1 bytes, a little longer'];
  const files = [];
  for (const [i, text] of contents.entries()) {
    const path = join(dataDir, `part-${i}.parquet`);
    await writeFile(path, text);
    files.push({ path, bytes: Buffer.byteLength(text), rows: 2 + i, sha256: sha256Hex(text) });
  }
  const builder = new ManifestBuilder();
  const bus = new EventBus('20260101T000000Z-abcdef01');
  bus.on(builder.listener);
  const select = options.select ?? true;
  bus.emit({
    type: 'run_started',
    pipeline: {
      name: 'support-tickets-demo',
      path: join(dir, 'pipelines', 'demo.yaml'),
      sha256: sha256Hex('pipeline'),
      purpose: 'model-training',
      owner: 'ml-platform@example.com',
    },
    identity: {
      subject: 'alice',
      issuer: 'https://idp.example.com',
      method: 'oidc',
      groups: ['ml'],
      verified: true,
    },
    sluice_version: '0.1.0',
    host: 'ci',
  });
  bus.emit({
    type: 'decision',
    source: 'customers',
    connection: 'crm',
    purpose: 'model-training',
    identity: {
      subject: 'alice',
      issuer: 'https://idp.example.com',
      method: 'oidc',
      groups: ['ml'],
      verified: true,
    },
    verdict: 'allow',
    reasons: [],
    policy_version: sha256Hex('policy'),
    policy_path: join(dir, 'policy.yaml'),
    relations: ['public.customers'],
    columns: ['public.customers.email'],
    masks: [],
    row_filters: [],
    query_sha256: sha256Hex('q'),
  });
  bus.emit({
    type: 'approval_used',
    approval_id: 'apr-1',
    approver: 'bob',
    approved_at: '2026-01-01T00:00:00.000Z',
    source: 'customers',
  });
  bus.emit({
    type: 'source_opened',
    source: 'customers',
    connection: 'crm',
    connection_type: 'postgres',
    query: 'SELECT "id", "email", "full_name", "country" FROM "public"."customers"',
  });
  bus.emit({
    type: 'source_schema',
    source: 'customers',
    columns: [col('id', 'Int64'), col('email'), col('full_name'), col('country')],
  });
  bus.emit({
    type: 'mask_applied',
    source: 'customers',
    column: 'id',
    mask: 'hmac',
    key_id: 'k1',
    params: { output: 'int64' },
    origin: 'pipeline',
    rows: 3,
    nulls: 0,
  });
  bus.emit({
    type: 'mask_applied',
    source: 'customers',
    column: 'email',
    mask: 'hmac',
    key_id: 'k1',
    params: { output: 'hex', key: 'must-not-appear' },
    origin: 'policy',
    rows: 3,
    nulls: 0,
  });
  bus.emit({
    type: 'mask_applied',
    source: 'customers',
    column: 'full_name',
    mask: 'redact',
    params: { value: '[REDACTED]' },
    origin: 'pipeline',
    rows: 3,
    nulls: 1,
  });
  bus.emit({
    type: 'source_finished',
    source: 'customers',
    rows: 3,
    bytes: 120,
    duration_ms: 5,
    snapshot: { lsn: '0/16B3748' },
  });
  if (select) {
    bus.emit({
      type: 'source_opened',
      source: 'tickets',
      connection: 'crm',
      connection_type: 'postgres',
      query: 'SELECT id, customer_id, subject FROM support_tickets WHERE id > 10',
    });
    bus.emit({
      type: 'source_schema',
      source: 'tickets',
      columns: [col('id', 'Int64'), col('customer_id', 'Int64'), col('subject')],
    });
    bus.emit({
      type: 'mask_applied',
      source: 'tickets',
      column: 'customer_id',
      mask: 'hmac',
      key_id: 'k1',
      params: { output: 'int64' },
      origin: 'pipeline',
      rows: 5,
      nulls: 0,
    });
    bus.emit({ type: 'source_finished', source: 'tickets', rows: 5, bytes: 90, duration_ms: 4 });
    bus.emit({
      type: 'select_executed',
      query: DEMO_SELECT,
      columns: [
        col('ticket_id', 'Int64'),
        col('customer_token', 'Int64'),
        col('email_token'),
        col('full_name'),
        col('country'),
        col('subject'),
      ],
    });
  }
  bus.emit({
    type: 'output_committed',
    output: 'outputs[0]',
    format: 'parquet',
    path: dataDir,
    rows: 5,
    files,
    columns: select
      ? [
          col('ticket_id', 'Int64'),
          col('customer_token', 'Int64'),
          col('email_token'),
          col('full_name'),
          col('country'),
          col('subject'),
        ]
      : [col('id', 'Int64'), col('email'), col('full_name'), col('country')],
  });
  const manifest = await builder.finish({ manifestDir: dir, finishedAt: new Date(Date.now() + 1000) });
  return { dir, manifestPath: join(dir, 'manifest.json'), manifest };
}
