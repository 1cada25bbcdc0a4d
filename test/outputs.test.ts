import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SluiceEvent } from '../src/core/events.js';
import { runPipeline } from '../src/main.js';
import { demoProject, runCli } from './cli.js';

/** Adds a `release_gate` to the demo policy of `dir`. */
async function gatePolicy(dir: string, gate: string): Promise<void> {
  const path = join(dir, 'fixtures/policies/demo-policy.yaml');
  const policy = await readFile(path, 'utf8');
  await writeFile(path, `${policy.replace(/^release_gate:[\s\S]*$/m, '')}\nrelease_gate: ${gate}\n`);
}

/** The demo pipeline with `select` limited by `where` and the given outputs. */
async function pipeline(dir: string, name: string, where: string, outputs: string): Promise<string> {
  const demo = await readFile(join(dir, 'pipelines/demo.yaml'), 'utf8');
  const text = demo
    .replace('  ORDER BY t.id', `  WHERE ${where}\n  ORDER BY t.id`)
    .replace(/^outputs:[\s\S]*?\n\nmanifest:/m, `outputs:\n${outputs}\n\nmanifest:`)
    .replace('path: ../out/demo/manifest.json', `path: ../out/${name}/manifest.json`);
  const path = join(dir, `pipelines/${name}.yaml`);
  await writeFile(path, text);
  return path;
}

async function readJsonl(path: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const SPLIT_OUTPUT = (path: string) => `  - path: ${path}
    format: jsonl
    split: { by: customer_token, parts: { train: 0.8, validation: 0.1, test: 0.1 }, key_id: demo }`;

describe('training-set outputs', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await demoProject();
  });

  it('keeps every ticket in its split when a later run has more tickets, and never splits a customer', async () => {
    const small = await pipeline(dir, 'small', 't.id <= 4000', SPLIT_OUTPUT('../out/small'));
    const full = await pipeline(dir, 'full', 'true', SPLIT_OUTPUT('../out/full'));
    for (const p of [small, full]) {
      const run = await runCli(['run', p, '--json', '--no-progress'], { cwd: dir });
      expect(run.code, run.stderr).toBe(0);
    }
    const splitOf = async (name: string) => {
      const map = new Map<number, string>();
      const customers = new Map<string, string>();
      const files = await readdir(join(dir, `out/${name}/data`));
      expect(files.sort()).toEqual([
        'test-00000-of-00001.jsonl',
        'train-00000-of-00001.jsonl',
        'validation-00000-of-00001.jsonl',
      ]);
      for (const file of files) {
        const split = file.split('-')[0] as string;
        for (const row of await readJsonl(join(dir, `out/${name}/data`, file))) {
          map.set(row.ticket_id as number, split);
          const token = String(row.customer_token);
          expect(customers.get(token) ?? split, `customer in two splits`).toBe(split);
          customers.set(token, split);
        }
      }
      return map;
    };
    const before = await splitOf('small');
    const after = await splitOf('full');
    expect(after.size).toBeGreaterThan(before.size);
    for (const [id, split] of before) expect(after.get(id)).toBe(split);
    const train = [...after.values()].filter((s) => s === 'train').length / after.size;
    expect(train).toBeGreaterThan(0.74);
    expect(train).toBeLessThan(0.86);
  });

  it('writes Hugging Face shards of at most `max_rows_per_file` rows and removes shards of an older run', async () => {
    const many = await pipeline(
      dir,
      'sharded',
      'true',
      `  - path: ../out/hf
    format: parquet
    max_rows_per_file: 4000`,
    );
    let run = await runCli(['run', many, '--json', '--no-progress'], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as {
      outputs: { rows: number; files: { rows: number; path: string }[] }[];
    };
    const files = result.outputs[0]?.files ?? [];
    expect(files.map((f) => f.path.split('/').at(-1))).toEqual([
      'train-00000-of-00003.parquet',
      'train-00001-of-00003.parquet',
      'train-00002-of-00003.parquet',
    ]);
    expect(files.map((f) => f.rows)).toEqual([4000, 4000, (result.outputs[0]?.rows ?? 0) - 8000]);
    const fewer = await pipeline(
      dir,
      'sharded',
      't.id <= 5000',
      `  - path: ../out/hf
    format: parquet
    max_rows_per_file: 4000`,
    );
    run = await runCli(['run', fewer, '--json', '--no-progress'], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    expect((await readdir(join(dir, 'out/hf/data'))).sort()).toEqual([
      'train-00000-of-00002.parquet',
      'train-00001-of-00002.parquet',
    ]);
  });

  it('counts rows removed by dedup and sampling in the run events, and the committed rows add up', async () => {
    const p = await pipeline(
      dir,
      'dedup',
      'true',
      `  - path: ../out/dedup.jsonl
    format: jsonl
    dedup: { columns: [subject] }
    profile: true
  - path: ../out/sample.jsonl
    format: jsonl
    sample: { rows: 250, seed: 3 }`,
    );
    const events: SluiceEvent[] = [];
    const result = await runPipeline({ pipeline: p, onEvent: (e) => events.push(e) });
    const sent = events.filter((e) => e.type === 'rows_sent' && e.output === 'outputs[0]');
    const total = sent.reduce((n, e) => n + (e.type === 'rows_sent' ? e.rows : 0), 0);
    const dropped = events.filter((e) => e.type === 'rows_dropped');
    const dedup = dropped.find((e) => e.type === 'rows_dropped' && e.output === 'outputs[0]');
    const sample = dropped.find((e) => e.type === 'rows_dropped' && e.output === 'outputs[1]');
    expect(dedup).toMatchObject({ stage: 'dedup', reason: 'duplicate' });
    expect(dedup?.type === 'rows_dropped' && dedup.rows).toBeGreaterThan(0);
    expect(total - (dedup?.type === 'rows_dropped' ? dedup.rows : 0)).toBe(result.outputs[0]?.rows);
    const subjects = (await readJsonl(join(dir, 'out/dedup.jsonl'))).map((r) => r.subject);
    expect(new Set(subjects).size).toBe(subjects.length);
    expect(result.outputs[1]?.rows).toBe(250);
    expect(sample).toMatchObject({ stage: 'sample', reason: 'not_sampled', rows: total - 250 });
    const profile = events.find((e) => e.type === 'profile');
    expect(profile).toMatchObject({ output: 'outputs[0]', rows: result.outputs[0]?.rows });
    const body = profile?.type === 'profile' ? profile.columns.find((c) => c.name === 'body') : undefined;
    expect(body?.length_quantiles?.max).toBeGreaterThan(0);
    expect(body).not.toHaveProperty('min');
    // The manifest carries the same counts and profile.
    const manifest = JSON.parse(await readFile(result.manifest, 'utf8'));
    expect(manifest.outputs[0].dropped).toEqual([
      { stage: 'dedup', reason: 'duplicate', rows: (dedup?.type === 'rows_dropped' && dedup.rows) || 0 },
    ]);
    expect(manifest.outputs[1].dropped).toEqual([
      { stage: 'sample', reason: 'not_sampled', rows: total - 250 },
    ]);
    expect(manifest.outputs[0].profile.map((c: { name: string }) => c.name)).toContain('body');
    const twice = await runPipeline({ pipeline: p });
    expect(twice.outputs[1]?.files[0]?.sha256).toBe(result.outputs[1]?.files[0]?.sha256);
  });

  it('writes chat fine-tuning JSONL from a template after text cleaning and near-duplicate removal', async () => {
    const p = await pipeline(
      dir,
      'chat',
      'true',
      `  - path: ../out/chat.jsonl
    format: jsonl
    text: { columns: [subject, body], max_tokens: 200 }
    dedup: { columns: [ticket_id], near: { column: body } }
    template:
      messages:
        - { role: system, content: "You are a support assistant." }
        - { role: user, content: "{{subject}}\\n{{body}}" }`,
    );
    const events: SluiceEvent[] = [];
    const result = await runPipeline({ pipeline: p, onEvent: (e) => events.push(e) });
    const rows = await readJsonl(join(dir, 'out/chat.jsonl'));
    expect(rows.length).toBe(result.outputs[0]?.rows);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows.slice(0, 50)) {
      expect(Object.keys(row)).toEqual(['messages']);
      const messages = row.messages as { role: string; content: string }[];
      expect(messages.map((m) => m.role)).toEqual(['system', 'user']);
      expect(messages[1]?.content).toContain('\n');
    }
    const sent = events.reduce((n, e) => n + (e.type === 'rows_sent' ? e.rows : 0), 0);
    const dropped = events.reduce((n, e) => n + (e.type === 'rows_dropped' ? e.rows : 0), 0);
    const reasons = events.flatMap((e) => (e.type === 'rows_dropped' ? [`${e.stage}:${e.reason}`] : []));
    expect(reasons).toEqual([
      'text:too_long',
      'dedup:duplicate',
      'near_dedup:near_duplicate',
      'template:missing_value',
    ]);
    expect(sent - dropped).toBe(rows.length);
  });

  describe('release gate', () => {
    let gated: string;
    beforeAll(async () => {
      gated = await demoProject();
    });
    const planted = async (name: string) => {
      const p = await pipeline(
        gated,
        name,
        't.id <= 2000',
        `  - path: ../out/${name}
    format: parquet
    split: { by: customer_token, parts: { train: 0.9, test: 0.1 } }`,
      );
      const text = await readFile(p, 'utf8');
      await writeFile(
        p,
        text.replace('t.created_at\n', "t.created_at, 'reach me at jane.doe@example.com' AS note\n"),
      );
      return p;
    };

    it('fails the run with exit 3 on a planted e-mail address, names the column and commits nothing', async () => {
      await gatePolicy(
        gated,
        '{ quasi_identifiers: [country], k_min: 2, max_pii_rate: 0.01, on_fail: fail }',
      );
      const p = await planted('gated');
      const run = await runCli(['run', p, '--no-progress'], { cwd: gated });
      expect(run.code).toBe(3);
      expect(run.stderr).toMatch(/error\[POLICY_DENIED\].*`note`/);
      expect(run.stderr).not.toContain('jane.doe');
      const left = await readdir(join(gated, 'out/gated'), { recursive: true }).catch(() => []);
      expect(left.filter((f) => String(f).endsWith('.parquet'))).toEqual([]);
    });

    it('commits a quarantined dataset with a report of columns and counts, never values', async () => {
      await gatePolicy(
        gated,
        '{ quasi_identifiers: [country], k_min: 100000, max_pii_rate: 0.01, on_fail: quarantine }',
      );
      const p = await planted('quarantined');
      const run = await runCli(['run', p, '--json', '--no-progress'], { cwd: gated });
      expect(run.code, run.stderr).toBe(0);
      const report = JSON.parse(await readFile(join(gated, 'out/quarantined.quarantined.json'), 'utf8'));
      expect(report.verdict).toBe('quarantined');
      expect(report.pii).toContainEqual(
        expect.objectContaining({ column: 'note', rows: report.rows, rate: 1 }),
      );
      expect(report.k_anonymity).toMatchObject({ quasi_identifiers: ['country'] });
      expect(report.k_anonymity.k).toBeLessThan(100000);
      expect(JSON.stringify(report)).not.toContain('jane.doe');
      const result = JSON.parse(run.stdout) as { outputs: { files: { path: string }[] }[] };
      expect(result.outputs[0]?.files.map((f) => f.path.split('/').at(-1))).toContain(
        'quarantined.quarantined.json',
      );
    });
  });

  it('refuses a split column that is not in the output before writing anything', async () => {
    const p = await pipeline(
      dir,
      'badsplit',
      'true',
      `  - path: ../out/bad
    format: parquet
    split: { by: no_such_column, parts: { train: 1 } }`,
    );
    const run = await runCli(['run', p, '--no-progress'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/`no_such_column`/);
    const left = await readdir(join(dir, 'out/bad'), { recursive: true }).catch(() => []);
    expect(left).toEqual([]);
  });
});
