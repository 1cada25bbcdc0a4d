import type { ComponentContext } from '../core/context.js';
import { EventBus } from '../core/events.js';
import type { KeyRing } from '../core/key-ring.js';
import { silentLogger } from '../core/logger.js';
import { createSecretResolver } from '../core/secrets.js';

/** Keys `a` and `b` (32 bytes) and `short` (20 bytes), for mask tests. */
export const TEST_KEYS: Record<string, Uint8Array> = {
  a: new Uint8Array(32).fill(1),
  b: new Uint8Array(32).fill(2),
  short: new Uint8Array(20).fill(3),
};

/** A component context with `TEST_KEYS`, for mask tests. */
export function maskTestContext(): ComponentContext {
  const keys: KeyRing = {
    async get(id) {
      const key = TEST_KEYS[id];
      if (!key) throw new Error(`no key ${id}`);
      return new Uint8Array(key);
    },
    ids: () => Object.keys(TEST_KEYS),
  };
  return {
    runId: 'r',
    events: new EventBus('r'),
    logger: silentLogger,
    baseDir: '.',
    secrets: createSecretResolver('.', {}),
    keys,
    tempDir: '.',
  };
}
