import { readFile } from 'node:fs/promises';
import { SluiceError } from '../../core/errors.js';
import { type Manifest, manifestSchema } from './manifest-schema.js';

/**
 * Reads and schema-checks a manifest (without re-hashing files: that is `verifyManifest`).
 * A missing file is `CONFIG_NOT_FOUND`; a file that is not a 1.x manifest is `INTEGRITY_FAILED`.
 */
export async function readManifest(path: string): Promise<Manifest> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new SluiceError(
      'CONFIG_NOT_FOUND',
      `Manifest \`${path}\` cannot be read (${(cause as NodeJS.ErrnoException).code ?? 'error'}). Give the \`manifest.json\` written beside the dataset.`,
      { context: { file: path }, cause },
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new SluiceError('INTEGRITY_FAILED', `Manifest \`${path}\` is not valid JSON.`, {
      context: { file: path },
      cause,
    });
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new SluiceError(
      'INTEGRITY_FAILED',
      `Manifest \`${path}\` does not follow the manifest schema 1.x: \`${first?.path.join('.') || '(root)'}\` ${first?.message ?? ''} (${parsed.error.issues.length} problem(s)). A manifest written before format 1.0 must be re-created by running the pipeline again.`,
      { context: { file: path, problems: parsed.error.issues.length } },
    );
  }
  return parsed.data;
}
