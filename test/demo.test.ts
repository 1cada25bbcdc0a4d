import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixtureTables } from '../fixtures/generator.js';
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
    expect(manifest.pipeline.sha256).toBe(createHash('sha256').update(pipelineText).digest('hex'));
    expect(manifest.run.id).toBe(json.run_id);
    expect(manifest.identity.verified).toBe(false);
    const customers = manifest.sources.find((s: { name: string }) => s.name === 'customers');
    expect(customers.connection).toBe('demo');
    expect(customers.query).toContain('customers');
    expect(customers.masks.email[0]).toMatchObject({ mask: 'hmac', key_id: 'demo' });
    expect(customers.masks.full_name[0].mask).toBe('redact');
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

  it('contains no raw email, SSN, phone number or name of the fixture anywhere in the output', async () => {
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
    const runs = (text.match(/[\d()+ .-]{10,}/g) ?? []).map((p) => p.replace(/\D/g, ''));
    expect(runs.filter((r) => digits.has(r))).toEqual([]);
    const names = new Set(rows.map((r) => r['full_name']));
    expect([...names]).toEqual(['[REDACTED]']);
    expect(rows.some((r) => raw.full_name.has(String(r['subject'])))).toBe(false);
  });

  it('leaves no staged or temporary files beside the dataset', async () => {
    const names = await readdir(join(dir, 'out/demo'));
    expect(names.sort()).toEqual(['manifest.json', 'tickets.parquet']);
  });
});
