import { createRequire } from 'node:module';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ConfigIssue } from '../core/errors.js';
import type { Registry } from '../core/registry.js';
import { locate, type YamlFile } from './yaml-file.js';

/**
 * A plugin module registers its own connections, outputs and masks through the same registry as
 * the built-ins. It exports `register(registry)` (named or default), or a default object with it.
 *
 * @example
 * // my-plugin.js
 * export function register(registry) { registry.register(myMask); }
 */
export interface SluicePlugin {
  register(registry: Registry): void | Promise<void>;
}

const loaded = new WeakMap<Registry, Set<string>>();

/** Loads the plugins a file lists under `plugins:`; each failure is a located config issue. */
export async function loadPlugins(
  file: YamlFile,
  registry: Registry,
  baseDir: string,
): Promise<ConfigIssue[]> {
  const raw = (file.doc.toJS() as { plugins?: unknown } | null)?.plugins;
  if (!Array.isArray(raw)) return [];
  const issues: ConfigIssue[] = [];
  const seen = loaded.get(registry) ?? new Set<string>();
  loaded.set(registry, seen);
  for (const [index, specifier] of raw.entries()) {
    if (typeof specifier !== 'string') continue; // the schema reports the wrong type
    const where = { file: file.path, ...locate(file, ['plugins', index]), path: `plugins[${index}]` };
    let url: string;
    try {
      url = resolvePlugin(specifier, baseDir);
    } catch {
      issues.push({
        ...where,
        message: `Plugin \`${specifier}\` cannot be found from \`${baseDir}\`. Use a path starting with \`./\` or an installed package name.`,
      });
      continue;
    }
    if (seen.has(url)) continue;
    try {
      const mod = (await import(url)) as { register?: unknown; default?: unknown };
      const register = pickRegister(mod);
      if (!register) {
        issues.push({
          ...where,
          message: `Plugin \`${specifier}\` does not export a \`register(registry)\` function.`,
        });
        continue;
      }
      await register(registry);
      seen.add(url);
    } catch (err) {
      issues.push({ ...where, message: `Plugin \`${specifier}\` failed to load: ${(err as Error).message}` });
    }
  }
  return issues;
}

function resolvePlugin(specifier: string, baseDir: string): string {
  if (specifier.startsWith('.') || isAbsolute(specifier))
    return pathToFileURL(resolve(baseDir, specifier)).href;
  return pathToFileURL(createRequire(resolve(baseDir, 'index.js')).resolve(specifier)).href;
}

function pickRegister(mod: {
  register?: unknown;
  default?: unknown;
}): ((r: Registry) => unknown) | undefined {
  if (typeof mod.register === 'function') return mod.register as (r: Registry) => unknown;
  if (typeof mod.default === 'function') return mod.default as (r: Registry) => unknown;
  const inner = mod.default as { register?: unknown } | undefined;
  if (inner && typeof inner.register === 'function')
    return inner.register.bind(inner) as (r: Registry) => unknown;
  return undefined;
}
