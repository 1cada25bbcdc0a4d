import { dirname } from 'node:path';
import { ConfigError } from '../core/errors.js';
import type { Registry } from '../core/registry.js';
import { buildConfigSchema, type SluiceConfig } from './config-schema.js';
import { findConfigFrom } from './find-config.js';
import { loadPlugins } from './load-plugins.js';
import { validateYaml } from './validate-yaml.js';
import { readYamlFile, type YamlFile } from './yaml-file.js';

export interface LoadedConfig {
  config: SluiceConfig;
  configFile: YamlFile;
  configDir: string;
}

/**
 * The config file alone, for commands that act without a pipeline (`whoami`, `detokenize`,
 * `approve`): `--config`, else `SLUICE_CONFIG`, else the nearest `sluice.yaml` from `cwd` up.
 */
export async function loadConfig(options: {
  configPath?: string | undefined;
  registry: Registry;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}): Promise<LoadedConfig> {
  const env = options.env ?? process.env;
  const path = await findConfigFrom(options.cwd ?? process.cwd(), options.configPath, env);
  const configFile = await readYamlFile(path, 'Config file');
  const configDir = dirname(path);
  const issues =
    configFile.syntaxIssues.length === 0 ? await loadPlugins(configFile, options.registry, configDir) : [];
  const result = validateYaml(configFile, buildConfigSchema(options.registry), env);
  issues.push(...result.issues);
  if (issues.length > 0 || !result.value) throw new ConfigError(issues);
  return { config: result.value, configFile, configDir };
}
