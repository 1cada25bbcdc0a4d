import type { EventBus } from './events.js';
import type { KeyRing } from './key-ring.js';
import type { Logger } from './logger.js';
import type { SecretResolver } from './secrets.js';

/** What every component receives when it is created. No I/O happens at creation. */
export interface ComponentContext {
  runId: string;
  events: EventBus;
  logger: Logger;
  /** Directory that relative paths in the component's config are resolved against. */
  baseDir: string;
  secrets: SecretResolver;
  keys: KeyRing;
  /** A directory private to this run, removed when the run ends. */
  tempDir: string;
}
