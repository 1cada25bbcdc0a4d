import { z } from 'zod';
import type { Registry } from '../core/registry.js';
import { identityConfigSchema } from '../identity/authenticators-config.js';
import { keyRefSchema } from '../transforms/key-ring.js';
import { IDENTIFIER } from './pipeline-schema.js';
import { secretRefSchema } from './secret-ref-schema.js';

/**
 * The config file (`sluice.yaml`), owned by the security team: connections and where their
 * credentials come from, tokenization keys, identity and audit settings. Pipelines only name
 * connections and keys; they never carry credentials.
 */
export function buildConfigSchema(registry: Registry) {
  const connections = registry.list('connection');
  const names = connections.map((c) => `\`${c.type}\``).join(', ');
  const schemas = connections.map((c) => c.configSchema);
  const connection =
    schemas.length === 1
      ? (schemas[0] as z.ZodObject)
      : z.discriminatedUnion('type', schemas as [z.ZodObject, ...z.ZodObject[]], {
          error: (iss) =>
            iss.code === 'invalid_union' ? `Unknown connection type. Registered: ${names}.` : undefined,
        });
  return z
    .strictObject({
      $schema: z.string().optional().describe('JSON Schema reference for editors; ignored.'),
      version: z.literal(1).describe('Config file format version.'),
      plugins: z
        .array(z.string().min(1))
        .default([])
        .describe(
          'Modules that register connections, outputs and masks (paths relative to this file, or package names).',
        ),
      connections: z
        .record(z.string().regex(IDENTIFIER, 'Connection names use letters, digits and `_`.'), connection)
        .default({})
        .describe('Named connections. Credentials are referenced through env vars or files, never inline.'),
      keys: z
        .record(
          z.string().regex(/^[A-Za-z0-9_.-]+$/, 'Key ids use letters, digits, `.`, `_` and `-`.'),
          keyRefSchema,
        )
        .default({})
        .describe(
          'Tokenization keys by key id. Masks reference a key id; key material is never written out.',
        ),
      identity: identityConfigSchema
        .optional()
        .describe(
          'How callers are authenticated. Without this section no pipeline runs: no identity, no data.',
        ),
      policy: z
        .string()
        .min(1)
        .optional()
        .describe(
          'The policy file (relative to this file): classifications, rules and mandatory masks. Without one, only the SQL guard applies.',
        ),
      drift: z
        .strictObject({
          threshold: z
            .number()
            .gt(0)
            .max(1)
            .default(0.05)
            .describe(
              "Share of a column's non-null values that must look like personal data to count as drift.",
            ),
          on_detect: z
            .enum(['fail', 'quarantine'])
            .default('fail')
            .describe(
              'Stop the run (exit 3), or drop the batch and go on; either way nothing of it is written.',
            ),
        })
        .default({ threshold: 0.05, on_detect: 'fail' })
        .describe(
          'Drift detection: unmasked text columns of every batch are scanned for personal data that no classification covers.',
        ),
      manifest: z
        .strictObject({
          signing_key: secretRefSchema
            .optional()
            .describe(
              'Ed25519 private key (PKCS#8 PEM) that signs every usage manifest (`manifest.dsse.json`): `{ file }` relative to this file, or `{ env }`. Without it manifests are unsigned.',
            ),
        })
        .default({})
        .describe('Usage manifest settings.'),
      audit: z
        .strictObject({
          path: z
            .string()
            .default('.sluice/audit.jsonl')
            .describe('The hash-chained audit log (relative to this file).'),
        })
        .default({ path: '.sluice/audit.jsonl' })
        .describe('Where audit events are appended.'),
      approvals: z
        .strictObject({
          path: z
            .string()
            .min(1)
            .optional()
            .describe(
              'The approvals file: requests and decisions as JSON lines (relative to this file). Default: `approvals.jsonl` beside the audit log. Used unless `store` names another store.',
            ),
          store: z
            .discriminatedUnion('type', [
              z.strictObject({
                type: z.literal('file').describe('The approvals file (`path`): one machine.'),
              }),
              z.strictObject({
                type: z
                  .literal('postgres')
                  .describe('A PostgreSQL table shared by every machine that runs or approves.'),
                connection: z
                  .string()
                  .regex(IDENTIFIER, 'Connection names use letters, digits and `_`.')
                  .describe(
                    'Name of a `postgres` connection of this file; its role needs SELECT and INSERT on the table.',
                  ),
                table: z
                  .string()
                  .regex(
                    /^(?:[A-Za-z_][A-Za-z0-9_]{0,62}\.)?[A-Za-z_][A-Za-z0-9_]{0,62}$/,
                    'Use letters, digits and `_`, optionally `schema.table`.',
                  )
                  .default('sluice_approvals')
                  .describe('The events table; created on first use when missing.'),
              }),
            ])
            .default({ type: 'file' })
            .describe(
              'Where requests and decisions are kept: `file` (default) or `postgres` for deployments where runs and approvers are on several machines.',
            ),
          webhook_url: z
            .url({ protocol: /^https?$/ })
            .optional()
            .describe(
              'Posted JSON on every new request and decision (a Slack `{ text }` body for `hooks.slack.com` URLs). Failures only warn.',
            ),
        })
        .optional()
        .describe('Where approval requests and decisions are kept, and who is notified of them.'),
    })
    .describe("Sluice config: connections, keys, identity and audit (the security team's file).");
}

export type ConfigSchema = ReturnType<typeof buildConfigSchema>;
export type SluiceConfig = z.infer<ConfigSchema>;
