import { dirname, resolve } from 'node:path';
import { isMap } from 'yaml';
import { readYamlFile } from '../config/yaml-file.js';
import { zodIssuesToConfigIssues } from '../config/zod-issues.js';
import { ConfigError } from '../core/errors.js';
import { type IdentityConfig, identityConfigSchema } from './authenticators-config.js';

/**
 * Reads the `identity:` section from a YAML file: a whole config file with an `identity:` key, or a
 * file that is only the section. Throws `ConfigError` with every problem located by line.
 */
export async function loadIdentityConfig(path: string): Promise<{ config: IdentityConfig; baseDir: string }> {
  const absolute = resolve(path);
  const file = await readYamlFile(absolute, 'Identity config file');
  if (file.syntaxIssues.length > 0) throw new ConfigError(file.syntaxIssues);
  const root: unknown = file.doc.toJS();
  const nested = isMap(file.doc.contents) && file.doc.contents.has('identity');
  if (!nested && isMap(file.doc.contents) && file.doc.contents.has('version')) {
    throw new ConfigError([
      {
        file: absolute,
        path: 'identity',
        message:
          'The config has no `identity:` section, so nobody can be authenticated. Add `identity: { authenticators: [...] }` (for a demo: `- { type: local, enabled: true }`).',
      },
    ]);
  }
  const section = nested ? (root as { identity?: unknown }).identity : root;
  const parsed = identityConfigSchema.safeParse(section);
  if (!parsed.success) {
    const issues = nested
      ? parsed.error.issues.map((issue) => ({ ...issue, path: ['identity', ...issue.path] }))
      : parsed.error.issues;
    throw new ConfigError(zodIssuesToConfigIssues(file, issues));
  }
  return { config: parsed.data, baseDir: dirname(absolute) };
}
