import { dirname, resolve } from 'node:path';
import { buildConfigSchema, type SluiceConfig } from '../../config/config-schema.js';
import { loadPlugins } from '../../config/load-plugins.js';
import { validateYaml } from '../../config/validate-yaml.js';
import { readYamlFile } from '../../config/yaml-file.js';
import { ConfigError, SluiceError } from '../../core/errors.js';
import type { KeyRing } from '../../core/key-ring.js';
import type { Registry } from '../../core/registry.js';
import { createSecretResolver, type SecretResolver } from '../../core/secrets.js';
import { createAuthenticators } from '../../identity/create-authenticators.js';
import type { Authenticator } from '../../identity/identity.js';
import { loadPolicy } from '../../policy/load-policy.js';
import type { LoadedPolicy } from '../../policy/loaded-policy.js';
import { createKeyRing } from '../../transforms/key-ring.js';

/** The server's side of the proxy: everything an extraction needs, and nothing a client sends. */
export interface ProxyServerConfig {
  config: SluiceConfig;
  configPath: string;
  configDir: string;
  registry: Registry;
  policy?: LoadedPolicy | undefined;
  /** Network authenticators only (`token`, `oidc`): `local` trusts the OS user of the server. */
  authenticators: Authenticator[];
  secrets: SecretResolver;
  keys: KeyRing;
  /** Absolute path of the audit log. */
  auditPath: string;
}

/**
 * Loads a config file for `pipeline proxy serve`: plugins, connections, keys, policy and the
 * network authenticators. Throws `CONFIG_INVALID` when no `token`/`oidc` authenticator is configured.
 */
export async function loadServerConfig(
  path: string,
  registry: Registry,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ProxyServerConfig> {
  const configPath = resolve(path);
  const configDir = dirname(configPath);
  const file = await readYamlFile(configPath, 'Config file');
  if (file.syntaxIssues.length > 0) throw new ConfigError(file.syntaxIssues);
  const pluginIssues = await loadPlugins(file, registry, configDir);
  const validated = validateYaml(file, buildConfigSchema(registry), env);
  const issues = [...pluginIssues, ...validated.issues];
  if (issues.length > 0 || !validated.value) throw new ConfigError(issues);
  const config = validated.value;
  const network = (config.identity?.authenticators ?? []).filter((a) => a.type !== 'local');
  if (network.length === 0) {
    throw new SluiceError(
      'CONFIG_INVALID',
      `The config file \`${configPath}\` has no \`token\` or \`oidc\` authenticator under \`identity.authenticators\`, so the proxy could not authenticate anyone over the network (\`local\` is never accepted by the server). Add one, e.g. \`- { type: token, tokens_file: tokens.jsonl }\`.`,
      { context: { file: configPath } },
    );
  }
  const secrets = createSecretResolver(configDir, env);
  const policy = config.policy
    ? await loadPolicy(resolve(configDir, config.policy), {
        masks: registry.list('mask').map((m) => m.type),
      })
    : undefined;
  return {
    config,
    configPath,
    configDir,
    registry,
    policy,
    authenticators: createAuthenticators(
      { ...config.identity, authenticators: network } as NonNullable<SluiceConfig['identity']>,
      { baseDir: configDir },
    ),
    secrets,
    keys: createKeyRing(config.keys, secrets),
    auditPath: resolve(configDir, config.audit.path),
  };
}
