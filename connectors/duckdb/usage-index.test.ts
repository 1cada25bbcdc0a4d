import { createHash, createHmac } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSecretResolver } from '../../src/core/secrets.js';
import { buildSampleManifest } from '../../src/evidence/manifest/manifest-test-fixture.js';
import { writeManifest } from '../../src/evidence/manifest/write-manifest.js';
import { createKeyRing } from '../../src/transforms/key-ring.js';
import {
  columnUsage,
  findSubject,
  type IndexedAuditRecord,
  identityUsage,
  indexUsage,
  parseColumnRef,
  type UsageStore,
  usageEntryId,
} from '../../src/usage/index.js';
import { openDatasetSearch, openUsageIndex } from './usage-index.js';

let dir: string;
let store: UsageStore | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-usage-index-'));
});

afterEach(async () => {
  await store?.close();
  store = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** Two demo-like manifests: alice's run, and an agent's run on behalf of carol. */
async function twoManifests(): Promise<[string, string]> {
  const first = await buildSampleManifest({ dir: join(dir, 'a') });
  await writeManifest(first.manifestPath, first.manifest);
  const second = await buildSampleManifest({ dir: join(dir, 'b'), select: false });
  const manifest = {
    ...second.manifest,
    run: { ...second.manifest.run, id: '20260102T000000Z-00000002' },
    identity: {
      ...second.manifest.identity,
      subject: 'svc-trainer',
      on_behalf_of: 'carol',
      agent: { id: 'agent-7' },
    },
  };
  await writeManifest(second.manifestPath, manifest);
  return [first.manifestPath, second.manifestPath];
}

describe('usage index (DuckDB)', () => {
  it('lists every run that read a column, with its masks, identity and dataset', async () => {
    const [a, b] = await twoManifests();
    store = await openUsageIndex(join(dir, 'usage.duckdb'));
    const indexed = await indexUsage(store, [a, b]);
    expect(indexed.manifests.map((m) => [m.action, m.verification])).toEqual([
      ['added', 'ok'],
      ['added', 'ok'],
    ]);

    const usage = await columnUsage(store, parseColumnRef('crm.customers.email', 'required'));
    expect(usage.runs.map((r) => r.run.run_id).sort()).toEqual([
      '20260101T000000Z-abcdef01',
      '20260102T000000Z-00000002',
    ]);
    const first = usage.runs.find((r) => r.run.subject === 'alice');
    expect(first?.landed_in).toEqual([
      expect.objectContaining({
        output_column: 'email_token',
        format: 'parquet',
        path: join(dir, 'a', 'tickets'),
        masks: [{ mask: 'hmac', key_id: 'k1', params: { output: 'hex' } }],
      }),
    ]);
    const direct = usage.runs.find((r) => r.run.subject === 'svc-trainer');
    expect(direct?.landed_in.map((l) => l.output_column)).toEqual(['email']);
  });

  it('matches the relation with or without its schema and ignores other connections', async () => {
    const [a] = await twoManifests();
    store = await openUsageIndex(join(dir, 'usage.duckdb'));
    await indexUsage(store, [a]);
    const qualified = await columnUsage(store, parseColumnRef('crm.public.customers.email', 'required'));
    expect(qualified.runs).toHaveLength(1);
    const other = await columnUsage(store, parseColumnRef('billing.customers.email', 'required'));
    expect(other.runs).toHaveLength(0);
    const unmaskedColumn = await columnUsage(store, parseColumnRef('crm.customers.country', 'required'));
    expect(unmaskedColumn.runs[0]?.landed_in[0]?.masks).toEqual([]);
  });

  it('finds runs by subject, by the human an agent acted for, and by agent id', async () => {
    const [a, b] = await twoManifests();
    store = await openUsageIndex(join(dir, 'usage.duckdb'));
    await indexUsage(store, [a, b]);
    expect((await identityUsage(store, 'alice')).runs.map((r) => r.as)).toEqual([['subject']]);
    const carol = await identityUsage(store, 'carol');
    expect(carol.runs.map((r) => r.as)).toEqual([['on_behalf_of']]);
    expect(carol.runs[0]?.columns).toContainEqual(
      expect.objectContaining({ column: 'crm.public.customers.email', masks: ['hmac(k1)'] }),
    );
    expect((await identityUsage(store, 'agent-7')).runs).toHaveLength(1);
    expect((await identityUsage(store, 'mallory')).runs).toHaveLength(0);
  });

  it('re-indexing the same manifests changes nothing; an edited manifest or a tampered file is re-indexed', async () => {
    const [a, b] = await twoManifests();
    const path = join(dir, 'usage.duckdb');
    store = await openUsageIndex(path);
    await indexUsage(store, [a, b]);
    const again = await indexUsage(store, [a, b]);
    expect(again.manifests.map((m) => m.action)).toEqual(['unchanged', 'unchanged']);
    await store.close();

    const edited = JSON.parse(await readFile(a, 'utf8'));
    edited.purpose = 'marketing';
    await writeFile(a, JSON.stringify(edited));
    await writeFile(join(dir, 'a', 'tickets', 'part-0.parquet'), 'tampered');
    store = await openUsageIndex(path);
    const after = await indexUsage(store, [a, b]);
    expect(after.manifests[0]).toMatchObject({ action: 'updated', verification: 'failed' });
    const run = await store.entry(usageEntryId(a));
    expect(run?.purpose).toBe('marketing');
    expect(run?.verification_problems).toContain('file_changed:tickets/part-0.parquet');
    expect((await columnUsage(store, parseColumnRef('crm.customers.email', 'required'))).runs).toHaveLength(
      2,
    );
  });

  it('keeps a copy of a dataset elsewhere as a dataset of its own', async () => {
    const [a] = await twoManifests();
    await cp(join(dir, 'a'), join(dir, 'copy'), { recursive: true });
    store = await openUsageIndex(join(dir, 'usage.duckdb'));
    await indexUsage(store, [a, join(dir, 'copy', 'manifest.json')]);
    const usage = await columnUsage(store, parseColumnRef('crm.customers.email', 'required'));
    expect(usage.runs.map((r) => r.landed_in[0]?.path).sort()).toEqual([
      join(dir, 'a', 'tickets'),
      join(dir, 'copy', 'tickets'),
    ]);
  });

  it('adds each audit record once, keyed by its hash', async () => {
    store = await openUsageIndex(join(dir, 'usage.duckdb'));
    const record: IndexedAuditRecord = {
      hash: 'a'.repeat(64),
      log: 'audit.jsonl',
      seq: 1,
      ts: '2026-01-01T00:00:00.000Z',
      kind: 'decision',
      run_id: 'r1',
      subject: 'alice',
      on_behalf_of: null,
      agent_id: null,
      source: 'customers',
      connection: 'crm',
      relations: ['public.customers'],
      columns: ['public.customers.email'],
      outcome: 'deny',
      purpose: 'model-training',
      masks: [{ column: 'email', mask: 'hmac', key_id: 'k1' }],
    };
    expect(await store.addAuditRecords([record])).toBe(1);
    expect(await store.addAuditRecords([record])).toBe(0);
    const usage = await columnUsage(store, parseColumnRef('crm.customers.email', 'required'));
    expect(usage.decisions).toEqual([record]);
  });
});

describe('dataset search', () => {
  it('counts rows by exact text, substring and SHA-256 in CSV and JSONL files', async () => {
    const csv = join(dir, 'part.csv');
    await writeFile(csv, 'email_token,body\nabc123,hello tok999 there\ndef456,plain\nabc123,x\n');
    const jsonl = join(dir, 'part.jsonl');
    await writeFile(jsonl, '{"email":"a@example.com"}\n{"email":"b@example.com"}\n');
    const search = await openDatasetSearch();
    try {
      expect(await search.count([csv], 'csv', 'email_token', { kind: 'equals', text: 'abc123' })).toBe(2);
      expect(await search.count([csv], 'csv', 'body', { kind: 'contains', text: 'tok999' })).toBe(1);
      expect(await search.count([csv], 'csv', 'email_token', { kind: 'equals', text: 'zzz' })).toBe(0);
      const hex = createHash('sha256').update('b@example.com').digest('hex');
      expect(await search.count([jsonl], 'jsonl', 'email', { kind: 'sha256', hex })).toBe(1);
    } finally {
      await search.close();
    }
  });
});

describe('finding a data subject', () => {
  it('finds the hmac token and the unmasked value, and says which columns cannot rule the subject out', async () => {
    const [a] = await twoManifests();
    const key = '11'.repeat(32);
    const token = createHmac('sha256', Buffer.from(key, 'hex'))
      .update('jo@example.com')
      .digest('hex')
      .slice(0, 32);
    // The sample output rewritten as CSV holding the subject's token, country and a derived column.
    const manifest = JSON.parse(await readFile(a, 'utf8'));
    manifest.outputs[0].format = 'csv';
    await writeManifest(a, manifest);
    const header = 'ticket_id,customer_token,email_token,full_name,country,subject\n';
    await writeFile(join(dir, 'a/tickets/part-0.parquet'), `${header}1,7,${token},[REDACTED],NO,HELLO\n`);
    await writeFile(
      join(dir, 'a/tickets/part-1.parquet'),
      `${header}2,8,${'0'.repeat(32)},[REDACTED],SE,BYE\n`,
    );
    store = await openUsageIndex(join(dir, 'usage.duckdb'));
    await indexUsage(store, [a]);
    const keys = createKeyRing({ k1: { env: 'K1' } }, createSecretResolver(dir, { K1: key }));
    const search = await openDatasetSearch();
    try {
      const email = await findSubject(
        store,
        search,
        keys,
        parseColumnRef('customers.email', 'optional'),
        'jo@example.com',
      );
      expect(email.datasets).toEqual([
        expect.objectContaining({ output_column: 'email_token', method: 'token', status: 'found', rows: 1 }),
      ]);
      expect(JSON.stringify(email)).not.toContain('jo@example.com');
      const other = await findSubject(
        store,
        search,
        keys,
        parseColumnRef('customers.email', 'optional'),
        'x@y.z',
      );
      expect(other.datasets.map((d) => d.status)).toEqual(['not_found']);
      const country = await findSubject(
        store,
        search,
        keys,
        parseColumnRef('customers.country', 'optional'),
        'SE',
      );
      expect(country.datasets).toEqual([
        expect.objectContaining({ method: 'raw', status: 'found', rows: 1 }),
      ]);
      const name = await findSubject(
        store,
        search,
        keys,
        parseColumnRef('customers.full_name', 'optional'),
        'Jo',
      );
      expect(name.datasets.map((d) => d.status)).toEqual(['not_identifiable']);
      const derived = await findSubject(
        store,
        search,
        keys,
        parseColumnRef('support_tickets.subject', 'optional'),
        'hello',
      );
      expect(derived.datasets).toEqual([
        expect.objectContaining({ output_column: 'subject', status: 'unsearchable' }),
      ]);
    } finally {
      await search.close();
    }
  });
});
