import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { RecordBatch, Schema } from 'apache-arrow';
import { z } from 'zod';
import {
  duckdbConnection,
  duckdbWatermarkLiteral,
  writeDuckDBDatabase,
} from '../../connectors/duckdb/index.js';
import type { ConnectionDefinition } from '../core/component-definition.js';
import type { ComponentContext } from '../core/context.js';
import type { Source, SourceSpec } from '../core/source.js';

export const fixtureConnectionSchema = z
  .strictObject({
    type: z.literal('fixture'),
    path: z
      .string()
      .min(1)
      .describe('DuckDB file holding the synthetic dataset; generated on first use when missing.'),
    rows: z
      .number()
      .int()
      .positive()
      .default(10_000)
      .describe('Customers to generate (orders: 2×, support tickets: 1×).'),
    seed: z
      .number()
      .int()
      .default(42)
      .describe('Seed of the generator: the same seed and rows give the same data.'),
  })
  .describe(
    'The seeded synthetic dataset (customers, orders, support_tickets), for demos and tests. Never real data.',
  );

type FixtureConnectionConfig = z.infer<typeof fixtureConnectionSchema>;

const generating = new Map<string, Promise<void>>();

/** Creates the fixture database once per path, even when several sources ask at the same time. */
async function ensureFixture(
  path: string,
  config: FixtureConnectionConfig,
  ctx: ComponentContext,
): Promise<void> {
  let pending = generating.get(path);
  if (!pending) {
    pending = (async () => {
      if (
        await access(path).then(
          () => true,
          () => false,
        )
      )
        return;
      ctx.logger.info(
        `Generating the synthetic fixture (${config.rows.toLocaleString('en-US')} customers, seed ${config.seed}) into ${path} …`,
      );
      // The generator (and Faker's locale data, ~16 MB of heap) loads only when a file is made.
      const { fixtureTables } = await import('../../fixtures/generator.js');
      await writeDuckDBDatabase(path, fixtureTables({ rows: config.rows, seed: config.seed }));
    })();
    generating.set(path, pending);
    pending.catch(() => generating.delete(path));
  }
  await pending;
}

/** A `duckdb` source over the fixture file, generating the file first when it is missing. */
export const fixtureConnection: ConnectionDefinition<FixtureConnectionConfig> = {
  kind: 'connection',
  type: 'fixture',
  description: fixtureConnectionSchema.description ?? '',
  configSchema: fixtureConnectionSchema,
  shardPredicate: (column, index, count) =>
    duckdbConnection.shardPredicate?.(column, index, count) ?? 'false',
  watermarkLiteral: (watermark) => duckdbWatermarkLiteral(watermark),
  createSource(config: FixtureConnectionConfig, spec: SourceSpec, ctx: ComponentContext): Source {
    const path = resolve(ctx.baseDir, config.path);
    const inner = duckdbConnection.createSource(
      { type: 'duckdb', path, read_only: true, memory_limit: '128MB' },
      spec,
      ctx,
    );
    return {
      name: inner.name,
      query: inner.query,
      async describe(signal: AbortSignal): Promise<Schema> {
        await ensureFixture(path, config, ctx);
        return inner.describe(signal);
      },
      async *read(signal: AbortSignal): AsyncIterable<RecordBatch> {
        await ensureFixture(path, config, ctx);
        yield* inner.read(signal);
      },
      close: () => inner.close(),
    };
  },
};
