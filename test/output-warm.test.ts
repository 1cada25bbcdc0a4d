import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRegistry } from '../src/cli/registry.js';
import { Registry } from '../src/core/registry.js';
import { planAccess } from '../src/engine/plan-access.js';
import { runPipeline } from '../src/engine/run-pipeline.js';
import { validatePipeline } from '../src/engine/validate-pipeline.js';
import { silentLogger } from '../src/index.js';
import { demoProject } from './cli.js';

/** The built-in registry, with the Parquet output's `warm` recording the outputs it is called for. */
async function recordingRegistry(warmed: string[]): Promise<Registry> {
  const builtin = await createRegistry();
  const registry = new Registry();
  for (const kind of ['connection', 'output', 'mask'] as const) {
    for (const definition of builtin.list(kind)) {
      if (kind === 'output' && definition.type === 'parquet') {
        const parquet = builtin.get('output', 'parquet');
        registry.register({
          ...parquet,
          warm: (config) => {
            warmed.push(config.path);
            parquet.warm?.(config);
          },
        });
      } else registry.register(definition);
    }
  }
  registry.setSqlEngine(builtin.sqlEngine());
  return registry;
}

describe('outputs set up ahead of the run', () => {
  it('warms the Parquet writer of a run that streams batches to it, and only then', async () => {
    const dir = await demoProject();
    await writeFile(
      join(dir, 'pipelines/copy.yaml'),
      `version: 1
name: customers-copy
purpose: model-training
sources:
  customers: { connection: demo, table: customers, columns: [id, email, country] }
transforms:
  customers:
    id: { mask: hmac, key_id: demo, output: int64 }
    email: { mask: hmac, key_id: demo }
outputs:
  - { path: ../out/copy/customers.parquet, format: parquet }
`,
    );
    const warmed: string[] = [];
    const registry = await recordingRegistry(warmed);
    const copy = { pipeline: join(dir, 'pipelines/copy.yaml'), registry, logger: silentLogger };
    // Checking and planning write nothing: no writer is started.
    expect((await validatePipeline(copy)).valid).toBe(true);
    await planAccess(copy);
    expect(warmed).toEqual([]);
    // The demo's output is written by the SQL engine (it has a `select`): nothing to warm either.
    const demo = await runPipeline({
      pipeline: join(dir, 'pipelines/demo.yaml'),
      registry,
      logger: silentLogger,
    });
    expect(demo.status).toBe('succeeded');
    expect(warmed).toEqual([]);
    const result = await runPipeline(copy);
    expect(result.status).toBe('succeeded');
    expect(result.outputs[0]?.rows).toBe(10_000);
    expect(warmed).toEqual(['../out/copy/customers.parquet']);
  });
});
