import { Registry } from '../core/registry.js';

/**
 * The registry with every built-in connection, output format, mask and the SQL engine. The CLI
 * and `runPipeline` from the package entry use it; plugins add to it.
 */
export async function createRegistry(): Promise<Registry> {
  const [duckdb, postgres, files, transforms, fixture, proxy] = await Promise.all([
    import('../../connectors/duckdb/index.js'),
    import('../../connectors/postgres/index.js'),
    import('../../connectors/files/index.js'),
    import('../transforms/index.js'),
    import('./fixture-connection.js'),
    import('../../connectors/proxy/index.js'),
  ]);
  const registry = new Registry();
  registry.register(duckdb.duckdbConnection);
  registry.register(postgres.postgresConnection);
  registry.register(fixture.fixtureConnection);
  registry.register(proxy.proxyConnection);
  registry.register(duckdb.parquetOutput);
  registry.register(postgres.postgresOutput);
  for (const output of files.filesOutputs) registry.register(output);
  for (const mask of transforms.builtinMasks) registry.register(mask);
  registry.setSqlEngine((options) => duckdb.DuckDBEngine.open(options));
  return registry;
}
