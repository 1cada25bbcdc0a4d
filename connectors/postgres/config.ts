import { z } from 'zod';

const INLINE_DSN =
  'A DSN is a credential and is never written inline. Put it in an environment variable or a file and reference it: `dsn: { env: PG_DSN }` or `dsn: { file: secrets/pg.dsn }`.';

const secretRef = z.union(
  [
    z.strictObject({ env: z.string().min(1).describe('Environment variable that holds the value.') }),
    z.strictObject({
      file: z.string().min(1).describe('File that holds the value (relative to the config file).'),
    }),
  ],
  {
    error: (issue) =>
      typeof issue.input === 'string' ? INLINE_DSN : 'Expected `{ env: NAME }` or `{ file: PATH }`.',
  },
);

/** Config of a `postgres` connection (`connections.<name>` in the config file). Parsing never connects. */
export const postgresConfigSchema = z
  .strictObject({
    type: z.literal('postgres'),
    dsn: secretRef.describe(
      'Where the connection URL (`postgres://user:password@host:5432/db`) is read from: `{ env: NAME }` or `{ file: PATH }`. Never inline.',
    ),
    sslmode: z
      .enum(['disable', 'require', 'verify-ca', 'verify-full'])
      .optional()
      .describe(
        'TLS mode, as in libpq. `require` encrypts without checking the certificate; `verify-ca` checks it against `ssl_ca_file`; `verify-full` also checks the host name. Overrides `sslmode` in the DSN.',
      ),
    ssl_ca_file: z
      .string()
      .min(1)
      .optional()
      .describe('PEM file of the CA that signed the server certificate.'),
    ssl_cert_file: z
      .string()
      .min(1)
      .optional()
      .describe('PEM client certificate, for certificate authentication.'),
    ssl_key_file: z.string().min(1).optional().describe('PEM private key of `ssl_cert_file`.'),
    pool_size: z.int().min(1).max(100).default(4).describe('Connections kept open per source at most.'),
    connect_timeout_ms: z.int().min(100).default(10_000).describe('How long to wait for a connection.'),
    statement_timeout_ms: z
      .int()
      .min(0)
      .default(300_000)
      .describe('`statement_timeout` of the extraction transaction, in milliseconds (0 = none).'),
    idle_in_transaction_session_timeout_ms: z
      .int()
      .min(0)
      .default(60_000)
      .describe(
        '`idle_in_transaction_session_timeout` of the extraction transaction: a stalled consumer releases the snapshot after this long (0 = none).',
      ),
    copy_binary: z
      .boolean()
      .default(true)
      .describe(
        'Read with `COPY (query) TO STDOUT (FORMAT binary)` decoded straight into Arrow buffers (fast). `false` reads through a server-side cursor.',
      ),
  })
  .superRefine((config, ctx) => {
    if ((config.ssl_cert_file === undefined) !== (config.ssl_key_file === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [config.ssl_cert_file === undefined ? 'ssl_cert_file' : 'ssl_key_file'],
        message: 'A client certificate needs both `ssl_cert_file` and `ssl_key_file`.',
      });
    }
    if (config.sslmode === 'disable' && (config.ssl_ca_file || config.ssl_cert_file)) {
      ctx.addIssue({
        code: 'custom',
        path: ['sslmode'],
        message:
          '`sslmode: disable` contradicts the TLS files given. Remove them or choose another `sslmode`.',
      });
    }
  })
  .describe('A PostgreSQL database.');

export type PostgresConfig = z.output<typeof postgresConfigSchema>;
