// Runs the PostgreSQL integration tests against one shared cluster:
//   npx vitest run --config connectors/postgres/test/vitest.config.ts
import { defineConfig } from 'vitest/config';
import base from '../../../vitest.config.js';

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['connectors/postgres/**/*.int.test.ts'],
    globalSetup: ['connectors/postgres/test/global-setup.ts'],
  },
});
