import { dirname, resolve } from 'node:path';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../core/errors.js';
import type { Registry } from '../core/registry.js';
import { didYouMean } from '../transforms/did-you-mean.js';
import { buildConfigSchema, type SluiceConfig } from './config-schema.js';
import { findConfig } from './find-config.js';
import { loadPlugins } from './load-plugins.js';
import {
  buildMaskSchema,
  buildPipelineSchema,
  type PipelineConfig,
  type SourceConfig,
  sourceSchema,
} from './pipeline-schema.js';
import { validateYaml } from './validate-yaml.js';
import { locate, readYamlFile, type YamlFile } from './yaml-file.js';

export interface OutputConfig {
  format: string;
  /** Absent for an output that writes a table (its definition has `target`). */
  path?: string;
  source?: string;
  [option: string]: unknown;
}

export interface MaskConfig {
  mask: string;
  key_id?: string;
  [option: string]: unknown;
}

/**
 * What can be trusted of a project whose pipeline has problems: the valid config, and the sources
 * and masks that are valid on their own. Validation goes on with these (reading source schemas)
 * so that every problem is reported in one pass.
 */
export interface PartialProject {
  pipelineFile: YamlFile;
  pipelineDir: string;
  config: SluiceConfig;
  configFile: YamlFile;
  configDir: string;
  sources: Record<string, SourceConfig>;
  transforms: Record<string, Record<string, MaskConfig>>;
  /** The pipeline's purpose, when it is valid. */
  purpose?: string;
}

/** A pipeline and the config it runs under, both validated (phase 1: no I/O beyond reading files). */
export interface Project extends PartialProject {
  pipeline: Omit<PipelineConfig, 'outputs' | 'transforms'> & {
    outputs: OutputConfig[];
    transforms: Record<string, Record<string, MaskConfig>>;
  };
}

export interface LoadProjectOptions {
  pipelinePath: string;
  configPath?: string | undefined;
  registry: Registry;
  env?: NodeJS.ProcessEnv;
}

/** Reads, interpolates and validates a pipeline and its config; throws one ConfigError with every problem. */
export async function loadProject(options: LoadProjectOptions): Promise<Project> {
  const loaded = await loadProjectParts(options);
  if (!loaded.project) throw new ConfigError(loaded.issues);
  return loaded.project;
}

/** Like `loadProject`, but returns the problems and what is valid despite them. */
export async function loadProjectParts(
  options: LoadProjectOptions,
): Promise<{ project?: Project; partial?: PartialProject; issues: ConfigIssue[] }> {
  const env = options.env ?? process.env;
  const pipelinePath = resolve(options.pipelinePath);
  const configPath = await findConfig(pipelinePath, options.configPath, env);
  const [pipelineFile, configFile] = await Promise.all([
    readYamlFile(pipelinePath, 'Pipeline file'),
    readYamlFile(configPath, 'Config file'),
  ]);
  const pipelineDir = dirname(pipelinePath);
  const configDir = dirname(configPath);

  const issues: ConfigIssue[] = [];
  // Plugins first: they add masks, outputs and connection types the schemas are built from.
  if (configFile.syntaxIssues.length === 0)
    issues.push(...(await loadPlugins(configFile, options.registry, configDir)));
  if (pipelineFile.syntaxIssues.length === 0)
    issues.push(...(await loadPlugins(pipelineFile, options.registry, pipelineDir)));

  const config = validateYaml(configFile, buildConfigSchema(options.registry), env);
  const pipeline = validateYaml(pipelineFile, buildPipelineSchema(options.registry), env);
  issues.push(...config.issues, ...pipeline.issues);
  if (config.value && pipeline.value) {
    issues.push(
      ...crossCheck(
        pipeline.value as Project['pipeline'],
        pipelineFile,
        config.value,
        configFile,
        options.registry,
      ),
    );
  }
  if (!config.value) return { issues };
  const files = { pipelineFile, pipelineDir, config: config.value, configFile, configDir };
  if (issues.length > 0 || !pipeline.value) {
    return { issues, partial: { ...files, ...salvage(pipeline.raw, config.value, options.registry) } };
  }
  const value = pipeline.value as Project['pipeline'];
  return {
    issues,
    project: { ...files, pipeline: value, sources: value.sources, transforms: value.transforms },
  };
}

/** The sources and masks of an invalid pipeline that are valid on their own. */
function salvage(
  raw: unknown,
  config: SluiceConfig,
  registry: Registry,
): Pick<PartialProject, 'sources' | 'transforms' | 'purpose'> {
  const sources: Record<string, SourceConfig> = {};
  const transforms: Record<string, Record<string, MaskConfig>> = {};
  const pipeline = (raw ?? {}) as { sources?: unknown; transforms?: unknown };
  for (const [name, spec] of entries(pipeline.sources)) {
    const parsed = parseWithoutBadKeys(sourceSchema, spec);
    if (parsed && parsed.connection in config.connections) sources[name] = parsed;
  }
  const maskSchema = buildMaskSchema(registry);
  for (const [name, columns] of entries(pipeline.transforms)) {
    if (!(name in sources)) continue;
    for (const [column, mask] of entries(columns)) {
      const parsed = maskSchema.safeParse(mask);
      if (!parsed.success) continue;
      const value = parsed.data as MaskConfig;
      if (value.key_id !== undefined && !(value.key_id in config.keys)) continue;
      transforms[name] = { ...transforms[name], [column]: value };
    }
  }
  const purpose =
    typeof (pipeline as { purpose?: unknown }).purpose === 'string'
      ? (pipeline as { purpose: string }).purpose
      : undefined;
  return { sources, transforms, ...(purpose ? { purpose } : {}) };
}

/** Parses `value`; when that fails, once more without the keys the problems are about. */
function parseWithoutBadKeys<T>(schema: z.ZodType<T>, value: unknown): T | undefined {
  const first = schema.safeParse(value);
  if (first.success) return first.data;
  if (value === null || typeof value !== 'object') return undefined;
  const bad = new Set<string>();
  for (const issue of first.error.issues) {
    if (issue.code === 'unrecognized_keys' && issue.path.length === 0) for (const k of issue.keys) bad.add(k);
    else if (typeof issue.path[0] === 'string') bad.add(issue.path[0]);
  }
  const second = schema.safeParse(Object.fromEntries(Object.entries(value).filter(([k]) => !bad.has(k))));
  return second.success ? second.data : undefined;
}

function entries(value: unknown): [string, unknown][] {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.entries(value) : [];
}

/** Checks that need both files: names that must refer to something defined elsewhere. */
function crossCheck(
  p: Project['pipeline'],
  file: YamlFile,
  config: SluiceConfig,
  configFile: YamlFile,
  registry: Registry,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const at = (path: (string | number)[], message: string, key?: string): ConfigIssue => ({
    file: file.path,
    ...locate(file, path, key),
    path: path.join('.').replace(/\.(\d+)(?=\.|$)/g, '[$1]'),
    message,
  });
  const connections = Object.keys(config.connections);
  const sources = Object.keys(p.sources);
  for (const [name, source] of Object.entries(p.sources)) {
    if (!connections.includes(source.connection)) {
      issues.push(
        at(
          ['sources', name, 'connection'],
          `Connection \`${source.connection}\` is not defined in the config file \`${configFile.path}\`.${suggest(source.connection, connections)} Defined: ${list(connections)}.`,
        ),
      );
    }
  }
  for (const [sourceName, columns] of Object.entries(p.transforms)) {
    if (!sources.includes(sourceName)) {
      issues.push(
        at(
          ['transforms', sourceName],
          `Transforms name source \`${sourceName}\`, which is not defined.${suggest(sourceName, sources)} Sources: ${list(sources)}.`,
          sourceName,
        ),
      );
      continue;
    }
    // Masks a remote extraction proxy applies use the server's keys, not this config's.
    const connectionType = (
      config.connections[p.sources[sourceName]?.connection ?? ''] as { type?: string } | undefined
    )?.type;
    const remote =
      connectionType !== undefined &&
      registry.has('connection', connectionType) &&
      registry.get('connection', connectionType).appliesMasks === true;
    for (const [column, mask] of Object.entries(columns)) {
      if (!remote && mask.key_id !== undefined && !(mask.key_id in config.keys)) {
        issues.push(
          at(
            ['transforms', sourceName, column, 'key_id'],
            `Key id \`${mask.key_id}\` is not defined under \`keys:\` in the config file \`${configFile.path}\`.${suggest(mask.key_id, Object.keys(config.keys))} Defined: ${list(Object.keys(config.keys))}.`,
          ),
        );
      }
    }
  }
  p.outputs.forEach((output, i) => {
    const target = registry.has('output', output.format)
      ? registry.get('output', output.format).target?.(output)
      : undefined;
    if (target && !connections.includes(target.connection)) {
      issues.push(
        at(
          ['outputs', i, 'connection'],
          `Connection \`${target.connection}\` is not defined in the config file \`${configFile.path}\`.${suggest(target.connection, connections)} Defined: ${list(connections)}.`,
        ),
      );
    } else if (target) {
      const type = (config.connections[target.connection] as { type: string }).type;
      const types = registry.get('output', output.format).connectionTypes ?? [];
      if (!types.includes(type))
        issues.push(
          at(
            ['outputs', i, 'connection'],
            `Output format \`${output.format}\` writes into a connection of type ${list(types)}, but \`${target.connection}\` is of type \`${type}\`.`,
          ),
        );
    }
    if (output.source !== undefined && !sources.includes(output.source)) {
      issues.push(
        at(
          ['outputs', i, 'source'],
          `Output source \`${output.source}\` is not defined.${suggest(output.source, sources)} Sources: ${list(sources)}.`,
        ),
      );
    }
    if (p.select === undefined && output.source === undefined && sources.length > 1) {
      issues.push(
        at(
          ['outputs', i],
          `This pipeline has ${sources.length} sources and no \`select\`: name the source this output writes with \`source:\`, or add a \`select\`.`,
        ),
      );
    }
    if (p.select !== undefined && output.source !== undefined) {
      issues.push(
        at(['outputs', i, 'source'], 'With a `select`, every output writes its result: remove `source:`.'),
      );
    }
  });
  return issues;
}

function list(names: string[]): string {
  return names.length === 0 ? 'none' : names.map((n) => `\`${n}\``).join(', ');
}

/** ` Did you mean `x`?` for the closest name within a small edit distance, else ''. */
export function suggest(name: string, candidates: string[]): string {
  const best = didYouMean(name, candidates);
  return best === undefined ? '' : ` Did you mean \`${best}\`?`;
}
