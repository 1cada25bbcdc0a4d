import { z } from 'zod';

/** The manifest format version written by this code. Readers accept the same major version. */
export const MANIFEST_VERSION = '1.0';

/**
 * How `dataset.digest` (and each output's `digest`) is computed: lowercase hex SHA-256 of the
 * RFC 8785 form of the list `[[path, sha256], ...]` of the files, sorted by path (UTF-16 code
 * units), paths relative to the manifest with `/` separators.
 */
export const DATASET_DIGEST_ALGORITHM = 'sha256-jcs-sorted-path-sha256-v1';

const SHA256 = /^[0-9a-f]{64}$/;
const sha256 = z.string().regex(SHA256, 'a lowercase hex SHA-256 digest');
const count = z.number().int().nonnegative();
const isoTime = z.iso.datetime({ offset: true }).describe('ISO-8601 timestamp.');

export const columnSchema = z
  .strictObject({
    name: z.string(),
    type: z.string().describe('Arrow type as text, e.g. `Utf8`, `Int64`, `Timestamp<MICROSECOND, UTC>`.'),
    nullable: z.boolean(),
  })
  .describe('One column of a schema.');

export const identitySchema = z
  .strictObject({
    subject: z.string(),
    issuer: z.string(),
    method: z.string().describe('Authenticator type: `oidc`, `token`, `local`.'),
    groups: z.array(z.string()),
    verified: z.boolean().describe('False for the demo-only `local` identity.'),
    on_behalf_of: z.string().optional().describe('The human an agent or service acted for.'),
    agent: z.strictObject({ id: z.string(), model: z.string().optional() }).optional(),
  })
  .describe('Who ran the pipeline, as authenticated.');

export const maskSchema = z
  .strictObject({
    column: z.string().describe('Column of the source the mask applies to.'),
    mask: z.string().describe('Mask type, e.g. `hmac`, `redact`, `partial`.'),
    key_id: z.string().optional().describe('Key id of a keyed mask; never the key itself.'),
    params: z.record(z.string(), z.unknown()).describe('Mask parameters, key material removed.'),
    origin: z.enum(['pipeline', 'policy']).describe('Requested in the pipeline, or mandatory by policy.'),
    rows: count,
    nulls: count,
  })
  .describe('A mask applied inside the extraction.');

export const manifestSourceSchema = z
  .strictObject({
    name: z.string().describe('Source name in the pipeline.'),
    connection: z
      .strictObject({ name: z.string(), type: z.string() })
      .describe('The connection by name and type; credentials are never recorded.'),
    query: z.string().describe('The SQL text sent to the connection.'),
    query_sha256: sha256.describe('SHA-256 of the UTF-8 query text.'),
    query_fingerprint: z
      .string()
      .nullable()
      .describe(
        'libpg-query fingerprint: equal for queries that differ only in literals, whitespace or case; null when the text is not PostgreSQL-parseable.',
      ),
    relations: z
      .array(z.string())
      .nullable()
      .describe('Base relations read, as written in the query; null when the query could not be analysed.'),
    columns_read: z
      .array(
        z.strictObject({
          relation: z.string(),
          columns: z.array(z.string()),
          star: z.boolean().describe('True when the query reads `*` of the relation.'),
        }),
      )
      .nullable()
      .describe('Columns read per relation, in any clause; null when the query could not be analysed.'),
    snapshot: z
      .record(z.string(), z.unknown())
      .nullable()
      .describe('The read point (snapshot id, LSN) the source reported, or null.'),
    rows: count.describe('Rows read.'),
    bytes: count.describe('Arrow bytes read.'),
    duration_ms: count,
    schema: z.array(columnSchema).describe('Columns as extracted, before masks.'),
    masks: z.array(maskSchema),
    incremental: z
      .strictObject({
        column: z.string().describe('The watermark column.'),
        tiebreaker: z.string().optional().describe('The key column ordering rows with equal watermarks.'),
        mode: z
          .enum(['full', 'incremental'])
          .describe('`incremental`: only rows past `from` were read; `full`: every row.'),
        reason: z
          .enum(['first_run', 'full_refresh', 'source_changed'])
          .optional()
          .describe(
            'Why every row was read: no committed watermark, `--full-refresh`, or the source changed.',
          ),
        from: z
          .array(z.string())
          .nullable()
          .describe(
            'The watermark the run started after, as (column[, tiebreaker]) text; null for a full read.',
          ),
        to: z
          .array(z.string())
          .nullable()
          .describe(
            'The watermark the run read up to (committed for the next run); null when no row was read.',
          ),
      })
      .optional()
      .describe(
        'An incremental source: the watermark range it read. The values are of a non-sensitive column (masked ones are refused).',
      ),
  })
  .describe('One source of the run.');

export const upstreamColumnSchema = z.strictObject({
  connection: z.string(),
  relation: z.string(),
  column: z.string().describe('`*` when every column of the relation flows in.'),
});

export const lineageSchema = z
  .strictObject({
    source: z.string().describe('Pipeline source the value comes from.'),
    column: z.string().describe('Column of that source.'),
    upstream: z
      .array(upstreamColumnSchema)
      .describe('Base-table columns of the source query the column derives from; empty when unknown.'),
  })
  .describe('One source column an output column derives from.');

export const appliedMaskSchema = maskSchema
  .extend({ source: z.string() })
  .describe('A mask with its source.');

export const outputColumnSchema = z
  .strictObject({
    name: z.string(),
    lineage: z.array(lineageSchema),
    derived: z.boolean().describe('False only when the value is a source column passed through unchanged.'),
    lineage_complete: z
      .boolean()
      .describe('False when the sources could not be traced completely; do not rely on `lineage` alone.'),
    masks: z.array(appliedMaskSchema).describe('Masks applied to the source columns in `lineage`.'),
  })
  .describe('Where one output column comes from and how it was masked.');

export const fileSchema = z.strictObject({
  path: z.string().describe('Relative to the manifest, `/`-separated.'),
  bytes: count,
  rows: count,
  sha256,
});

export const outputSchema = z
  .strictObject({
    name: z.string(),
    format: z.string(),
    path: z.string().optional().describe('Relative to the manifest; absent for a table output.'),
    connection: z
      .string()
      .optional()
      .describe(
        'A table output: the connection of the config file it wrote into (a name, never credentials).',
      ),
    table: z.string().optional().describe('A table output: the table it replaced, as named in the pipeline.'),
    mode: z.string().optional().describe('A table output: how it was written, e.g. `replace`.'),
    sha256: sha256
      .optional()
      .describe(
        'A table output: digest of exactly the content written, computed as `digest_algorithm` says.',
      ),
    digest_algorithm: z
      .string()
      .optional()
      .describe(
        'A table output: `sha256-pg-copy-text-v1` = SHA-256 of the PostgreSQL COPY text sent (rows in write order, tab-separated, `\\N` for NULL, a newline after each row).',
      ),
    approval_id: z.string().optional().describe('The approval a write into a protected table relied on.'),
    source: z.string().optional().describe('The source a direct (no `select`) output was written from.'),
    rows: count,
    bytes: count,
    schema: z.array(columnSchema),
    files: z.array(fileSchema),
    digest: sha256.describe('Digest of this output\u2019s files (see `dataset.digest_algorithm`).'),
    columns: z.array(outputColumnSchema),
    dropped: z
      .array(z.strictObject({ stage: z.string(), reason: z.string(), rows: count }))
      .optional()
      .describe(
        'Rows the output stages dropped (dedup, sampling, text limits, templates), per stage and reason.',
      ),
    split: z
      .strictObject({
        column: z.string(),
        key_id: z.string().optional(),
        parts: z.array(z.strictObject({ name: z.string(), weight: z.number(), rows: count, files: count })),
      })
      .optional()
      .describe('How rows were split by a keyed hash of one column.'),
    profile: z
      .array(
        z.strictObject({
          name: z.string(),
          type: z.string(),
          rows: count,
          null_ratio: z.number(),
          distinct_estimate: z.number(),
          min: z.number().optional(),
          max: z.number().optional(),
          length_quantiles: z
            .strictObject({ p50: z.number(), p90: z.number(), p99: z.number(), max: z.number() })
            .optional(),
        }),
      )
      .optional()
      .describe('Per column statistics computed on the stream (no values).'),
    release_gate: z
      .strictObject({
        verdict: z.enum(['pass', 'fail', 'quarantined']),
        rows: count,
        pii: z.array(
          z.strictObject({
            column: z.string(),
            rows: count,
            rate: z.number(),
            kinds: z.record(z.string(), z.number()),
          }),
        ),
        k_anonymity: z
          .strictObject({
            quasi_identifiers: z.array(z.string()),
            k: z.number(),
            groups: count,
            rows_below_k_min: count,
          })
          .optional(),
        thresholds: z.strictObject({ k_min: z.number(), max_pii_rate: z.number() }),
        reasons: z.array(z.string()),
      })
      .optional()
      .describe('The release gate\u2019s verdict on this output (column names and counts only).'),
  })
  .describe('One output of the run.');

export const approvalSchema = z
  .strictObject({
    id: z.string(),
    approver: z.string(),
    approved_at: isoTime,
    expires_at: isoTime.optional(),
    source: z.string().optional().describe('The source the approval covers, when scoped to one.'),
    output: z
      .string()
      .optional()
      .describe('The output (a write into a protected table) the approval covers.'),
    reason: z.string().optional(),
  })
  .describe('An approval the run relied on.');

export const manifestSchema = z
  .strictObject({
    manifest_version: z.string().regex(/^1\.\d+$/, 'a 1.x manifest version'),
    run: z.strictObject({
      id: z.string(),
      pipeline: z.strictObject({
        name: z.string(),
        path: z.string().describe('Pipeline file, relative to the manifest.'),
        sha256: sha256.describe('SHA-256 of the pipeline file bytes.'),
        description: z.string().optional(),
        owner: z.string().optional(),
      }),
      sluice_version: z.string(),
      started_at: isoTime,
      finished_at: isoTime,
      duration_ms: count,
      status: z.enum(['succeeded', 'failed', 'cancelled']),
      host: z.string(),
      shard: z
        .strictObject({ index: count, count: z.number().int().positive() })
        .optional()
        .describe('Set on a shard manifest (`--shard K/N`), absent on whole-dataset manifests.'),
    }),
    identity: identitySchema,
    purpose: z.string().nullable(),
    policy: z
      .strictObject({ path: z.string(), sha256: sha256.describe('Content hash of the policy.') })
      .optional()
      .describe('The policy that authorised the run.'),
    approvals: z.array(approvalSchema),
    sources: z.array(manifestSourceSchema),
    select: z
      .strictObject({
        query: z.string(),
        query_sha256: sha256,
        query_fingerprint: z.string().nullable(),
        schema: z.array(columnSchema),
      })
      .optional()
      .describe('The SQL run over the masked sources (embedded engine), when the pipeline has one.'),
    outputs: z.array(outputSchema),
    dataset: z
      .strictObject({
        digest_algorithm: z.literal(DATASET_DIGEST_ALGORITHM),
        digest: sha256.describe('One digest over every file of every output.'),
        files: count,
        bytes: count,
        rows: count,
      })
      .describe('The whole dataset.'),
    audit: z
      .strictObject({
        head: sha256.describe('Hash of the audit chain head once the run\u2019s records were appended.'),
        records: count.optional(),
      })
      .optional(),
    merged_from: z
      .array(z.strictObject({ run_id: z.string(), shard: z.string(), manifest_sha256: sha256 }))
      .optional()
      .describe('The shard manifests a merged manifest was built from.'),
  })
  .describe(
    'Sluice usage manifest: where every column of a dataset came from, who pulled it, under which policy, how it was masked, and the digests of its files.',
  );

export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestSource = Manifest['sources'][number];
export type ManifestOutput = Manifest['outputs'][number];
export type ManifestMask = z.infer<typeof maskSchema>;
export type ManifestFile = z.infer<typeof fileSchema>;
export type OutputColumn = z.infer<typeof outputColumnSchema>;
export type ColumnLineage = z.infer<typeof lineageSchema>;
export type Approval = z.infer<typeof approvalSchema>;

/**
 * The published JSON Schema of the manifest (draft 2020-12), as written to
 * `docs/schema/manifest.schema.json`.
 */
export function manifestJsonSchema(): string {
  const json = z.toJSONSchema(manifestSchema, { target: 'draft-2020-12', unrepresentable: 'any' });
  return `${JSON.stringify({ title: `Sluice usage manifest ${MANIFEST_VERSION}`, ...json }, null, 2)}\n`;
}
