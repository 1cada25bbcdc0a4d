import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { readYamlFile } from '../config/yaml-file.js';
import { zodIssuesToConfigIssues } from '../config/zod-issues.js';
import { ConfigError } from '../core/errors.js';
import type { KeyRing } from '../core/key-ring.js';
import { createSecretResolver } from '../core/secrets.js';
import { createKeyRing, keyRefSchema } from '../transforms/key-ring.js';

/** The parts of the config file `pipeline usage` needs. */
export interface UsageConfig {
  configPath: string;
  /** Absolute path of the audit log. */
  auditLog: string;
  /** Default index file: `usage.duckdb` beside the audit log. */
  defaultIndex: string;
  keys: KeyRing;
}

// Only the keys and the audit log are read: connections and plugins are not needed here.
const sectionSchema = z.object({
  keys: z.record(z.string(), keyRefSchema).default({}),
  audit: z
    .object({ path: z.string().default('.sluice/audit.jsonl') })
    .default({ path: '.sluice/audit.jsonl' }),
});

/** Reads the key ring and audit log location from a config file, without connecting anywhere. */
export async function loadUsageConfig(
  configPath: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<UsageConfig> {
  const absolute = resolve(configPath);
  const file = await readYamlFile(absolute, 'Config file');
  if (file.syntaxIssues.length > 0) throw new ConfigError(file.syntaxIssues);
  const parsed = sectionSchema.safeParse(file.doc.toJS() ?? {});
  if (!parsed.success) throw new ConfigError(zodIssuesToConfigIssues(file, parsed.error.issues));
  const dir = dirname(absolute);
  const auditLog = resolve(dir, parsed.data.audit.path);
  return {
    configPath: absolute,
    auditLog,
    defaultIndex: join(dirname(auditLog), 'usage.duckdb'),
    keys: createKeyRing(parsed.data.keys, createSecretResolver(dir, env)),
  };
}
