import { z } from 'zod';

/** A reference to a credential: an environment variable or a file. Never the value itself. */
export const secretRefSchema = z
  .union([
    z.strictObject({ env: z.string().min(1).describe('Environment variable that holds the value.') }),
    z.strictObject({
      file: z.string().min(1).describe('File that holds the value (relative to the config file).'),
    }),
  ])
  .describe('A credential reference: `{ env: VAR }` or `{ file: path }`. Secrets are never written inline.');
