import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { type Document, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { ConfigIssue } from '../core/errors.js';
import { SluiceError } from '../core/errors.js';

export type YamlPath = readonly (string | number)[];

/** A YAML file parsed with positions, so every problem can be reported with its line. */
export interface YamlFile {
  path: string;
  text: string;
  sha256: string;
  doc: Document.Parsed;
  lines: LineCounter;
  /** Problems the YAML parser itself found (syntax errors), already located. */
  syntaxIssues: ConfigIssue[];
}

export async function readYamlFile(path: string, what: string): Promise<YamlFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new SluiceError(
      'CONFIG_NOT_FOUND',
      code === 'ENOENT'
        ? `${what} \`${path}\` does not exist.`
        : `${what} \`${path}\` cannot be read (${code}).`,
      { context: { path }, cause },
    );
  }
  return parseYamlText(path, text);
}

export function parseYamlText(path: string, text: string): YamlFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const syntaxIssues: ConfigIssue[] = [...doc.errors, ...doc.warnings].map((e) => {
    const pos = e.linePos?.[0];
    return {
      file: path,
      ...(pos ? { line: pos.line, column: pos.col } : {}),
      path: '',
      message: e.message.split('\n')[0] ?? e.message,
    };
  });
  return { path, text, sha256: createHash('sha256').update(text).digest('hex'), doc, lines, syntaxIssues };
}

/**
 * The source position of the deepest node that exists along `path`. With `key: true` the
 * position of the map key (for "unknown key" problems) rather than its value.
 */
export function locate(file: YamlFile, path: YamlPath, key?: string): { line?: number; column?: number } {
  let node: unknown = file.doc.contents;
  let offset: number | undefined = rangeStart(node);
  for (const segment of path) {
    const next = child(node, segment);
    if (next === undefined) break;
    node = next.value;
    offset = rangeStart(next.value) ?? rangeStart(next.key) ?? offset;
  }
  if (key !== undefined && isMap(node)) {
    const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
    if (pair) offset = rangeStart(pair.key) ?? offset;
  }
  if (offset === undefined) return {};
  const pos = file.lines.linePos(offset);
  return { line: pos.line, column: pos.col };
}

function child(node: unknown, segment: string | number): { key?: unknown; value: unknown } | undefined {
  if (isMap(node)) {
    const pair = node.items.find(
      (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment),
    );
    return pair ? { key: pair.key, value: pair.value ?? pair.key } : undefined;
  }
  if (isSeq(node) && typeof segment === 'number') {
    const item = node.items[segment];
    return item === undefined ? undefined : { value: item };
  }
  return undefined;
}

function rangeStart(node: unknown): number | undefined {
  return (node as Node | undefined)?.range?.[0];
}

export function formatPath(path: YamlPath): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}
