import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry } from '../cli/registry.js';
import { formatScanYaml, type ScanReport, scanConnection } from './scan-connection.js';

let dir: string;
let report: ScanReport;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-scan-test-'));
  // A temp copy of the demo config with a small fixture, so the test never touches the repo's files.
  const config = (await readFile('sluice.yaml', 'utf8')).replace('rows: 10000', 'rows: 300');
  await writeFile(join(dir, 'sluice.yaml'), config);
  await mkdir(join(dir, 'fixtures/keys'), { recursive: true });
  await writeFile(join(dir, 'fixtures/keys/demo.key'), await readFile('fixtures/keys/demo.key'));
  report = await scanConnection({
    connection: 'demo',
    sample: 200,
    threshold: 0.5,
    config: join(dir, 'sluice.yaml'),
    registry: await createRegistry(),
  });
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('pipeline scan on the demo fixture', () => {
  it('lists the tables and proposes classes for the sensitive customer columns', () => {
    expect(report.tables.map((t) => t.table)).toEqual(
      expect.arrayContaining(['customers', 'support_tickets']),
    );
    const c = report.classifications;
    expect(c['demo.customers.email']).toBe('email');
    expect(c['demo.customers.ssn']).toBe('ssn');
    expect(c['demo.customers.phone']).toBe('phone');
    expect(c['demo.customers.full_name']).toBe('name');
    expect(c['demo.customers.created_at']).toBeUndefined();
  });

  it('finds personal data inside the ticket bodies by their values', () => {
    const tickets = report.tables.find((t) => t.table === 'support_tickets')!;
    const body = tickets.columns.find((col) => col.column === 'body')!;
    expect(Object.keys(body.ratios)).toEqual(expect.arrayContaining(['email', 'card']));
    expect(report.classifications['demo.support_tickets.body']).toBe('free_text_pii');
  });

  it('never prints a sampled value, in YAML or JSON', async () => {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(join(dir, '.sluice/demo/fixtures.duckdb'), {
      access_mode: 'READ_ONLY',
    });
    const conn = await db.connect();
    const rows = (await conn.runAndReadAll('SELECT email, ssn, phone FROM customers LIMIT 50'))
      .getRows()
      .flat();
    conn.closeSync();
    db.closeSync();
    const text = formatScanYaml(report) + JSON.stringify(report);
    for (const value of rows) expect(text).not.toContain(String(value));
  });
});
