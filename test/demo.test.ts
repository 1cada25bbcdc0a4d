import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixtureTables, luhnValid, sensitiveValues } from '../fixtures/generator.js';
import { demoProject, runCli } from './cli.js';

async function queryRows(sql: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const reader = await conn.runAndReadAll(sql);
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
  }
}

describe('the demo pipeline', () => {
  let dir: string;
  let result: Awaited<ReturnType<typeof runCli>>;
  let json: {
    status: string;
    run_id: string;
    manifest: string;
    duration_ms: number;
    outputs: {
      path: string;
      format: string;
      rows: number;
      files: { path: string; bytes: number; rows: number; sha256: string }[];
    }[];
  };

  beforeAll(async () => {
    dir = await demoProject();
    result = await runCli(['run', 'pipelines/demo.yaml', '--json'], { cwd: dir });
    json = JSON.parse(result.stdout);
  });

  it('succeeds and prints exactly one JSON object on stdout', () => {
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    expect(json.status).toBe('succeeded');
    expect(json.run_id).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{8}$/);
    expect(json.outputs[0]?.format).toBe('parquet');
    expect(json.manifest).toBe(join(dir, 'out/demo/manifest.json'));
  });

  it('writes Parquet that reads back in DuckDB with the row count the manifest states', async () => {
    const manifest = JSON.parse(await readFile(json.manifest, 'utf8'));
    const [{ n }] = (await queryRows(
      `SELECT count(*)::INTEGER AS n FROM read_parquet('${json.outputs[0]?.path}')`,
    )) as [{ n: number }];
    expect(n).toBeGreaterThan(0);
    expect(manifest.outputs[0].rows).toBe(n);
    expect(manifest.outputs[0].files[0].rows).toBe(n);
    expect(json.outputs[0]?.rows).toBe(n);
  });

  it('records pipeline hash, sources, queries and masks with key ids in the manifest, and no key material', async () => {
    const text = await readFile(json.manifest, 'utf8');
    const manifest = JSON.parse(text);
    const { createHash } = await import('node:crypto');
    const pipelineText = await readFile(join(dir, 'pipelines/demo.yaml'));
    expect(manifest.run.pipeline.sha256).toBe(createHash('sha256').update(pipelineText).digest('hex'));
    expect(manifest.run.id).toBe(json.run_id);
    expect(manifest.identity.verified).toBe(false);
    const customers = manifest.sources.find((s: { name: string }) => s.name === 'customers');
    expect(customers.connection).toEqual({ name: 'demo', type: 'fixture' });
    expect(customers.query).toContain('customers');
    const mask = (column: string) => customers.masks.find((m: { column: string }) => m.column === column);
    expect(mask('email')).toMatchObject({ mask: 'hmac', key_id: 'demo' });
    expect(mask('full_name').mask).toBe('redact');
    const key = (await readFile(join(dir, 'fixtures/keys/demo.key'), 'utf8')).trim();
    expect(text).not.toContain(key);
    const fileHash = createHash('sha256')
      .update(await readFile(json.outputs[0]?.path as string))
      .digest('hex');
    expect(manifest.outputs[0].files[0].sha256).toBe(fileHash);
  });

  it('joins tickets to customers through the tokenized id', async () => {
    const rows = await queryRows(
      `SELECT count(*)::INTEGER AS n, count(email_token)::INTEGER AS with_email FROM read_parquet('${json.outputs[0]?.path}')`,
    );
    // Every ticket found its customer through the token (the join is an inner join on tokens).
    expect(rows[0]?.n).toBe(10_000);
    expect(rows[0]?.with_email).toBeGreaterThan(9_000);
  });

  it('contains no raw email, SSN, phone or card number, API key or name of the fixture anywhere in the output', async () => {
    const raw = {
      email: new Set<string>(),
      ssn: new Set<string>(),
      phone: new Set<string>(),
      full_name: new Set<string>(),
    };
    const [customers] = fixtureTables({ rows: 10_000, seed: 42 });
    for await (const batch of customers!.batches()) {
      for (const column of ['email', 'ssn', 'phone', 'full_name'] as const) {
        for (const v of batch.getChild(column)!) if (v !== null) raw[column].add(String(v));
      }
    }
    const rows = await queryRows(`SELECT * FROM read_parquet('${json.outputs[0]?.path}')`);
    const text = rows.map((r) => Object.values(r).map(String).join('\u0001')).join('\n');
    const emails = text.match(/[\w.+-]+@[\w-]+(\.[\w-]+)+/g) ?? [];
    expect(emails.filter((e) => raw.email.has(e))).toEqual([]);
    const ssns = text.match(/\d{3}-\d{2}-\d{4}/g) ?? [];
    expect(ssns.filter((s) => raw.ssn.has(s))).toEqual([]);
    const digits = new Set([...raw.phone].map((p) => p.replace(/\D/g, '')));
    const freeText = rows.map((r) => `${r['subject']}\n${r['body']}`).join('\n');
    const runs = (freeText.match(/[\d()+ .-]{10,}/g) ?? []).map((p) => p.replace(/\D/g, ''));
    expect(runs.filter((r) => digits.has(r))).toEqual([]);
    // Values quoted inside ticket bodies: e-mails, phone and card numbers, API keys.
    let quoted = 0;
    for await (const v of sensitiveValues({ rows: 10_000, seed: 42, tables: ['support_tickets'] })) {
      quoted += 1;
      expect(text.includes(v.value), `a raw ${v.kind} from a ticket body`).toBe(false);
    }
    expect(quoted).toBeGreaterThan(500);
    const cards = (freeText.match(/\b(?:\d[ -]?){13,19}\b/g) ?? [])
      .map((c) => c.replace(/\D/g, ''))
      .filter(luhnValid);
    expect(cards).toEqual([]);
    const names = new Set(rows.map((r) => r['full_name']));
    expect([...names]).toEqual(['[REDACTED]']);
    expect(rows.some((r) => raw.full_name.has(String(r['subject'])))).toBe(false);
  });

  it('appends the run to a hash-chained audit log that verifies', async () => {
    expect(json).toHaveProperty('audit_log', join(dir, '.sluice/audit.jsonl'));
    const records = (await readFile(join(dir, '.sluice/audit.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const kinds = records.filter((r) => r.run_id === json.run_id).map((r) => r.kind);
    expect(kinds).toEqual([
      'authentication',
      'decision',
      'decision',
      'run_started',
      'extraction_started',
      'extraction_finished',
      'extraction_started',
      'extraction_finished',
      'run_finished',
    ]);
    const verify = await runCli(['audit', 'verify', '.sluice/audit.jsonl', '--json'], { cwd: dir });
    expect(verify.code, verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout).ok).toBe(true);
  });

  it('signs the manifest, and `manifest verify` detects a changed dataset file (exit 5)', async () => {
    const ok = await runCli(
      ['manifest', 'verify', 'out/demo/manifest.json', '--public-key', 'fixtures/keys/manifest-demo.pub.pem'],
      {
        cwd: dir,
      },
    );
    expect(ok.code, ok.stderr).toBe(0);
    const copy = join(dir, 'tampered');
    const { cp, appendFile } = await import('node:fs/promises');
    await cp(join(dir, 'out/demo'), copy, { recursive: true });
    await appendFile(join(copy, 'tickets.parquet'), 'x');
    const bad = await runCli(
      ['manifest', 'verify', 'tampered/manifest.json', '--public-key', 'fixtures/keys/manifest-demo.pub.pem'],
      {
        cwd: dir,
      },
    );
    expect(bad.code).toBe(5);
    expect(bad.stdout + bad.stderr).toContain('tickets.parquet');
  });

  it('leaves no staged or temporary files beside the dataset', async () => {
    const names = await readdir(join(dir, 'out/demo'));
    expect(names.sort()).toEqual(['manifest.dsse.json', 'manifest.json', 'tickets.parquet']);
  });
});

describe('deterministic output', () => {
  it('gives byte-identical dataset files and the same dataset digest for the same inputs and keys', async () => {
    const a = await demoProject();
    const b = await demoProject();
    const runA = await runCli(['run', 'pipelines/demo.yaml', '--json'], { cwd: a });
    const runB = await runCli(['run', 'pipelines/demo.yaml', '--json'], { cwd: b });
    expect(runA.code, runA.stderr).toBe(0);
    expect(runB.code, runB.stderr).toBe(0);
    const [ja, jb] = [JSON.parse(runA.stdout), JSON.parse(runB.stdout)];
    expect(ja.run_id).not.toBe(jb.run_id);
    expect(ja.outputs[0].files[0].sha256).toBe(jb.outputs[0].files[0].sha256);
    const [ma, mb] = await Promise.all(
      [readFile(ja.manifest, 'utf8'), readFile(jb.manifest, 'utf8')].map(async (p) => JSON.parse(await p)),
    );
    expect(ma.dataset.digest).toBe(mb.dataset.digest);
  });
});
