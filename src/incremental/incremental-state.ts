import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import canonicalize from 'canonicalize';
import { z } from 'zod';
import { writeFileAtomic } from '../core/atomic-file.js';
import { SluiceError } from '../core/errors.js';

const watermarkTypeSchema = z.strictObject({
  kind: z.enum(['integer', 'timestamp', 'timestamptz', 'date', 'text']),
  unit: z.enum(['second', 'millisecond', 'microsecond', 'nanosecond']).optional(),
});

const sourceStateSchema = z.strictObject({
  /** What the watermark belongs to; a different fingerprint means the state no longer applies. */
  fingerprint: z.string(),
  connection: z.string(),
  column: z.string(),
  tiebreaker: z.string().optional(),
  types: z.array(watermarkTypeSchema),
  /** Canonical text of the largest (column[, tiebreaker]) read; null when no row was read yet. */
  watermark: z.array(z.string()).nullable(),
  run_id: z.string(),
  committed_at: z.string(),
});

export const incrementalStateSchema = z.strictObject({
  version: z.literal(1),
  pipeline: z.string(),
  sources: z.record(z.string(), sourceStateSchema),
});

export type IncrementalState = z.infer<typeof incrementalStateSchema>;
export type SourceWatermarkState = z.infer<typeof sourceStateSchema>;

/** The state file beside a manifest: `out/manifest.json` → `out/.manifest.incremental.json`. */
export function incrementalStatePath(manifestPath: string): string {
  const name = basename(manifestPath, extname(manifestPath));
  return join(dirname(manifestPath), `.${name}.incremental.json`);
}

/** What a watermark is valid for: the connection, the query text, the column and the tiebreaker. */
export function sourceFingerprint(parts: {
  connection: string;
  query: string;
  column: string;
  tiebreaker?: string | undefined;
}): string {
  const canonical = canonicalize({ ...parts, tiebreaker: parts.tiebreaker ?? null }) ?? '';
  return createHash('sha256').update(canonical).digest('hex');
}

/** Reads the state file; undefined when there is none. A damaged file stops the run. */
export async function readIncrementalState(path: string): Promise<IncrementalState | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let parsed: ReturnType<typeof incrementalStateSchema.safeParse>;
  try {
    parsed = incrementalStateSchema.safeParse(JSON.parse(text));
  } catch {
    parsed = incrementalStateSchema.safeParse(undefined);
  }
  if (!parsed.success) {
    throw new SluiceError(
      'CONFIG_INVALID',
      `The incremental state file \`${path}\` is damaged. Run with \`--full-refresh\` to read every row again and write a new one.`,
      { context: { path } },
    );
  }
  return parsed.data;
}

/** Writes the state file atomically (temp file, fsync, rename). */
export async function writeIncrementalState(
  path: string,
  state: IncrementalState,
  runId: string,
): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(state, null, 2)}\n`, runId);
}
