import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { SluiceError } from '../core/errors.js';
import type { IndexedOutput, IndexedRun } from './usage-records.js';
import type { UsageStore } from './usage-store.js';

/** One `usage_manifest` entry of a model card, resolved against the index. */
export interface ModelCardReference {
  uri: string;
  sha256: string | null;
  /**
   * `indexed`: a run with this manifest digest is indexed; `changed`: the manifest at `uri` is
   * indexed with another digest (it changed after the card was written); `not_indexed`.
   */
  status: 'indexed' | 'changed' | 'not_indexed';
  run?: IndexedRun;
  outputs: IndexedOutput[];
}

export interface ModelCardUsage {
  card: string;
  references: ModelCardReference[];
}

const FRONT = /^---\r?\n([\s\S]*?)\r?\n---\r?\n/;

/** The datasets a model card references (its `usage_manifest` front matter), resolved to indexed runs. */
export async function modelCardUsage(store: UsageStore, cardPath: string): Promise<ModelCardUsage> {
  let text: string;
  try {
    text = await readFile(cardPath, 'utf8');
  } catch (cause) {
    throw new SluiceError(
      'CONFIG_NOT_FOUND',
      `Model card \`${cardPath}\` cannot be read. Give the card's README.md.`,
      {
        context: { file: cardPath },
        cause,
      },
    );
  }
  const refs = usageManifestRefs(text, cardPath);
  const runs = await store.runs();
  const references: ModelCardReference[] = [];
  for (const ref of refs) {
    const path =
      /^[a-z][a-z0-9+.-]*:/i.test(ref.uri) && !ref.uri.startsWith('file:')
        ? undefined
        : resolve(dirname(resolve(cardPath)), ref.uri.replace(/^file:(\/\/)?/, ''));
    const bySha = ref.sha256 === null ? undefined : runs.find((r) => r.manifest_sha256 === ref.sha256);
    const byPath = path === undefined ? undefined : runs.find((r) => r.manifest_path === path);
    const run = bySha ?? byPath;
    const status = bySha ? 'indexed' : byPath ? 'changed' : 'not_indexed';
    references.push({
      uri: ref.uri,
      sha256: ref.sha256,
      status,
      ...(run ? { run } : {}),
      outputs: run ? await store.outputs([run.entry_id]) : [],
    });
  }
  return { card: cardPath, references };
}

/** The `usage_manifest` entries of a card's YAML front matter (one mapping or a list). */
export function usageManifestRefs(card: string, cardPath: string): { uri: string; sha256: string | null }[] {
  const match = FRONT.exec(card);
  if (!match) return [];
  let meta: unknown;
  try {
    meta = parse(match[1] ?? '');
  } catch (cause) {
    throw new SluiceError(
      'USAGE',
      `The front matter of model card \`${cardPath}\` is not valid YAML. Fix it, or run \`pipeline manifest attach\` again.`,
      { context: { file: cardPath }, cause },
    );
  }
  const value = (meta as { usage_manifest?: unknown } | null)?.usage_manifest;
  const list = Array.isArray(value) ? value : value ? [value] : [];
  return list.flatMap((r: unknown) => {
    const e = r as { uri?: unknown; sha256?: unknown } | null;
    if (typeof e?.uri !== 'string') return [];
    return [{ uri: e.uri, sha256: typeof e.sha256 === 'string' ? e.sha256 : null }];
  });
}
