// Optional vitest globalSetup: one PostgreSQL cluster for every postgres integration test file.
// Wire it with `test.globalSetup: ['connectors/postgres/test/global-setup.ts']`; without it each
// file starts its own cluster (see harness.ts).
import type { TestProject } from 'vitest/node';
import { startPostgresCluster } from '../../../src/testing/postgres-cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await startPostgresCluster();
  project.provide('postgresUrl', cluster.url);
  return () => cluster.stop();
}
