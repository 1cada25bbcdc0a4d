import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { demoProject, runCli } from './cli.js';

const WHERE = `"country IN ('DE', 'FR', 'US') AND length(body) > 20"`;

/** The demo pipeline with its outputs replaced. */
async function pipeline(dir: string, name: string, outputs: string): Promise<string> {
  const demo = await readFile(join(dir, 'pipelines/demo.yaml'), 'utf8');
  const text = demo
    .replace(/^outputs:[\s\S]*?\n\nmanifest:/m, `outputs:\n${outputs}\n\nmanifest:`)
    .replace('path: ../out/demo/manifest.json', `path: ../out/${name}/manifest.json`);
  const path = join(dir, `pipelines/${name}.yaml`);
  await writeFile(path, text);
  return path;
}

async function query(sql: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    db.closeSync();
  }
}

const OUTPUTS = (name: string) => `  - path: ../out/${name}/ds
    format: parquet
    where: ${WHERE}
    sample: { rows: 600, seed: 7, stratify_by: country }
    split: { by: customer_token, parts: { train: 0.8, test: 0.2 }, key_id: demo }
  - path: ../out/${name}/filtered.parquet
    format: parquet
    where: ${WHERE}`;

describe('where, stratified sampling and the dataset card', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await demoProject();
  });

  it('filters on masked columns, keeps each country in its share, and writes a card with the shards', async () => {
    const path = await pipeline(dir, 'hf', OUTPUTS('hf'));
    const run = await runCli(['run', path, '--json', '--no-progress'], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    const data = join(dir, 'out/hf/ds/data');
    const rows = await query(`SELECT country, length(body) AS len FROM read_parquet('${data}/*.parquet')`);
    expect(rows).toHaveLength(600);
    for (const r of rows) {
      expect(['DE', 'FR', 'US']).toContain(r.country);
      expect(Number(r.len)).toBeGreaterThan(20);
    }
    // Shares of the filtered population, allotted to 600 rows by largest remainder: within one row.
    const population = await query(
      `SELECT country, count(*)::INTEGER AS n FROM read_parquet('${join(dir, 'out/hf/filtered.parquet')}') GROUP BY 1`,
    );
    const total = population.reduce((n, p) => n + Number(p.n), 0);
    const sampled = await query(
      `SELECT country, count(*)::INTEGER AS n FROM read_parquet('${data}/*.parquet') GROUP BY 1`,
    );
    for (const p of population) {
      const got = Number(sampled.find((s) => s.country === p.country)?.n ?? 0);
      expect(Math.abs(got - (600 * Number(p.n)) / total)).toBeLessThan(1);
    }

    const manifest = JSON.parse(await readFile(join(dir, 'out/hf/manifest.json'), 'utf8'));
    const [ds, filtered] = manifest.outputs;
    expect(ds.dropped).toEqual([
      { stage: 'where', reason: 'filtered', rows: 10_000 - total },
      { stage: 'sample', reason: 'not_sampled', rows: total - 600 },
    ]);
    expect(filtered.rows).toBe(total);
    expect(ds.files.map((f: { path: string }) => f.path)).toEqual([
      'ds/data/train-00000-of-00001.parquet',
      'ds/data/test-00000-of-00001.parquet',
    ]);

    const card = await readFile(join(dir, 'out/hf/ds/README.md'), 'utf8');
    const meta = parse(/^---\n([\s\S]*?)\n---\n/.exec(card)?.[1] ?? '') as {
      configs: unknown[];
      dataset_info: { splits: { name: string; num_examples: number }[] }[];
      usage_manifest: { uri: string };
    };
    expect(meta.configs).toEqual([
      {
        config_name: 'default',
        data_files: [
          { split: 'train', path: ['data/train-00000-of-00001.parquet'] },
          { split: 'test', path: ['data/test-00000-of-00001.parquet'] },
        ],
      },
    ]);
    expect(meta.dataset_info[0]?.splits.reduce((n, s) => n + s.num_examples, 0)).toBe(600);
    expect(meta.usage_manifest.uri).toBe('../manifest.json');
    // No row value in the card: none of the written tokens or texts appear in it.
    const values = await query(
      `SELECT email_token, subject, customer_token::VARCHAR AS customer FROM read_parquet('${data}/*.parquet') LIMIT 50`,
    );
    for (const v of values) {
      for (const x of [v.email_token, v.subject, v.customer])
        if (typeof x === 'string' && x.length >= 8) expect(card).not.toContain(x);
    }
    const verify = await runCli(['manifest', 'verify', join(dir, 'out/hf/manifest.json')], { cwd: dir });
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  }, 60_000);

  it('samples the same rows in a second run', async () => {
    const digests = [];
    for (const name of ['again-1', 'again-2']) {
      const run = await runCli(['run', await pipeline(dir, name, OUTPUTS(name)), '--no-progress'], {
        cwd: dir,
      });
      expect(run.code, run.stderr).toBe(0);
      const m = JSON.parse(await readFile(join(dir, `out/${name}/manifest.json`), 'utf8'));
      digests.push(m.outputs[0].digest);
    }
    expect(digests[1]).toBe(digests[0]);
  }, 60_000);

  it('reports stage columns that are not in the output before reading a row, with file, line and column', async () => {
    const path = await pipeline(
      dir,
      'bad',
      `  - path: ../out/bad/ds
    format: parquet
    where: "contry = 'DE' AND now() > 1"
    sample: { rows: 10, stratify_by: lang }
    split: { by: customer_tokn, parts: { train: 1 } }
    dedup: { columns: [body, subjet] }`,
    );
    const validate = await runCli(['validate', path], { cwd: dir });
    expect(validate.code).toBe(2);
    const lines = validate.stderr.split('\n');
    const at = (yamlPath: string) => lines.find((l) => l.includes(`at \`${yamlPath}\``)) ?? '';
    expect(at('outputs[0].where')).toMatch(/bad\.yaml:\d+:\d+ .*unknown column `contry`/);
    expect(at('outputs[0].sample.stratify_by')).toMatch(/bad\.yaml:\d+:\d+ .*`lang`/);
    expect(at('outputs[0].split.by')).toMatch(/`customer_tokn`/);
    expect(at('outputs[0].dedup.columns[1]')).toMatch(/`subjet`.*Did you mean `subject`/);
    const run = await runCli(['run', path, '--no-progress'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown column `contry`');
  }, 60_000);
});
