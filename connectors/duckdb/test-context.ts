import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ComponentContext,
  createSecretResolver,
  EventBus,
  removeQuietly,
  SluiceError,
  silentLogger,
} from '../../src/index.js';

/** A component context over a fresh temp directory, for this connector's tests. */
export async function testContext(
  runId = 'test-run',
): Promise<ComponentContext & { cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-duckdb-test-'));
  return {
    runId,
    events: new EventBus(runId),
    logger: silentLogger,
    baseDir: dir,
    tempDir: join(dir, '.tmp'),
    secrets: createSecretResolver(dir, {}),
    keys: {
      async get(keyId) {
        throw new SluiceError('KEY_INVALID', `No key \`${keyId}\` in the test key ring.`);
      },
      ids: () => [],
    },
    cleanup: () => removeQuietly(dir),
  };
}
