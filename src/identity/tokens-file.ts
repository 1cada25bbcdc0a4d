import { mkdir, open, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { SluiceError } from '../core/errors.js';

/** One line of a tokens file. The token itself is never stored, only its SHA-256. */
export const tokenRecordSchema = z.strictObject({
  id: z
    .string()
    .regex(/^[0-9a-f]{12}$/)
    .describe('Short public id of the token (the start of its hash).'),
  hash: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .describe('SHA-256 of the token, lowercase hex.'),
  subject: z.string().min(1).describe('The identity the token authenticates as.'),
  groups: z.array(z.string().min(1)).describe('Groups of that identity.'),
  created_at: z.iso.datetime().describe('When the token was created.'),
  created_by: z.string().min(1).describe('Who created the token.'),
  expires_at: z.iso.datetime().describe('When the token stops working. Every token expires.'),
  on_behalf_of: z.string().min(1).optional().describe('The human the token holder acts for.'),
  agent: z
    .strictObject({ id: z.string().min(1), model: z.string().min(1).optional() })
    .optional()
    .describe('The AI agent that holds the token.'),
});

export type TokenRecord = z.infer<typeof tokenRecordSchema>;

/** Reads every record; throws `CONFIG_NOT_FOUND` or `CONFIG_INVALID` (with the line, never its text). */
export async function readTokensFile(path: string): Promise<TokenRecord[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new SluiceError(
      'CONFIG_NOT_FOUND',
      code === 'ENOENT'
        ? `Tokens file \`${path}\` does not exist. Create a token with \`pipeline token create --tokens-file ${path} …\`, or fix \`tokens_file\`.`
        : `Tokens file \`${path}\` cannot be read (${code}).`,
      { context: { file: path }, cause },
    );
  }
  const records: TokenRecord[] = [];
  const lines = text.split('\n');
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    let parsed: ReturnType<typeof tokenRecordSchema.safeParse> | undefined;
    try {
      parsed = tokenRecordSchema.safeParse(JSON.parse(line));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) {
      const where = parsed?.error.issues[0]?.path.join('.');
      throw new SluiceError(
        'CONFIG_INVALID',
        `Tokens file \`${path}\` line ${index + 1} is not a valid token record${where ? ` (at \`${where}\`)` : ''}. Fix or delete that line; tokens are created with \`pipeline token create\`.`,
        { context: { file: path, line: index + 1 } },
      );
    }
    records.push(parsed.data);
  }
  return records;
}

/**
 * Appends one record as one `write` to a file opened in append mode, then fsyncs, so concurrent
 * writers never interleave and readers never see half a line. Creates the file with mode 0600.
 */
export async function appendTokenRecord(path: string, record: TokenRecord): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const handle = await open(path, 'a+', 0o600);
  try {
    const { size } = await handle.stat();
    let prefix = '';
    if (size > 0) {
      // A crash mid-append leaves a line without its newline; never glue a record onto it.
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) prefix = '\n';
    }
    await handle.write(`${prefix}${JSON.stringify(record)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Change stamp of a file, to reload a tokens file only when it changed. */
export async function fileStamp(path: string): Promise<string | undefined> {
  try {
    const s = await stat(path);
    return `${s.mtimeMs}:${s.size}:${s.ino}`;
  } catch {
    return undefined;
  }
}
