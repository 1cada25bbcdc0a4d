import { z } from 'zod';

/** Names of purposes, rules, connections, approver groups: letters, digits, `_`, `-`, `.`. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** Class names: dotted lower-case words, e.g. `pii.email`, `identifier.customer`. */
export const CLASS_NAME = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/;
/** Durations with a unit suffix, as elsewhere in the config (`90s`, `15m`, `12h`, `30d`, `2w`). */
const DURATION = /^\d+[smhdw]$/;

const name = (what: string) => z.string().regex(NAME, `${what} use letters, digits, \`_\`, \`-\` and \`.\`.`);
const className = z.string().regex(CLASS_NAME, 'Class names are dotted lower-case words, e.g. `pii.email`.');
const duration = z
  .string()
  .regex(DURATION, 'Write a whole number with a unit: `90s`, `15m`, `12h`, `30d` or `2w`.');
/** A name list where `*` means "any". */
const nameOrAny = (what: string) => z.union([z.literal('*'), name(what)]);

export const maskSatisfierSchema = z
  .strictObject({
    mask: z.string().min(1).describe('A mask type, e.g. `hmac`, `redact`, `null`, `partial`.'),
    params: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
      .optional()
      .describe('Parameters the mask must set to exactly these values, e.g. `{ key_id: prod }`.'),
    params_max: z
      .record(z.string(), z.number())
      .optional()
      .describe(
        'Numeric parameters that must not exceed these values, e.g. `{ keep_last: 4 }`. An absent parameter (the mask default) passes.',
      ),
  })
  .describe('A mask (optionally with parameter constraints) that satisfies a class.');

export const classApprovalSchema = z
  .strictObject({
    when: z
      .enum(['unmasked', 'reversible', 'always'])
      .describe(
        '`unmasked`: reading the class without a mask (see `allow_unmasked_for`); `reversible`: unmasked or with a reversible mask; `always`: any read of the class in the output.',
      ),
  })
  .describe('When reading this class needs an approval.');

export const dataClassSchema = z
  .strictObject({
    description: z.string().optional().describe('What data the class covers.'),
    satisfied_by: z
      .array(maskSatisfierSchema)
      .describe('The masks that satisfy the class. An output column of this class must use one of them.'),
    allow_unmasked_for: z
      .array(name('Purposes'))
      .default([])
      .describe('Purposes for which the class may be read without a mask.'),
    predicate_use: z
      .enum(['allow', 'deny', 'approval'])
      .default('allow')
      .describe(
        'Reading the class only in WHERE, JOIN, GROUP BY or ORDER BY (not in the output): `allow` (recorded in the decision), `deny`, or `approval`.',
      ),
    approval: classApprovalSchema.optional(),
  })
  .describe('A data class: which masks satisfy it and when reading it needs an approval.');

export const purposeSchema = z
  .strictObject({
    description: z
      .string()
      .min(1)
      .describe('What the data is used for; shown in plans and approval requests.'),
    require_approval: z.boolean().default(false).describe('Every access for this purpose needs an approval.'),
  })
  .describe('A declared purpose of use.');

export const policyConnectionSchema = z
  .strictObject({
    description: z.string().optional().describe('What the connection holds.'),
    default_schema: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Schema that unqualified table names resolve to. Default: `public` for `postgres`, `main` for `duckdb`, `fixture` and `files`.',
      ),
  })
  .describe('Policy facts about a connection defined in the config file.');

export const approvalSettingsSchema = z
  .strictObject({
    approver_groups: z
      .array(name('Group names'))
      .min(1)
      .describe('Groups whose members may approve a request.'),
    mode: z
      .enum(['any_of', 'all_of'])
      .default('any_of')
      .describe('`any_of`: approvals from any listed group count; `all_of`: each listed group must approve.'),
    min_approvals: z.int().positive().default(1).describe('Approvals needed (per group with `all_of`).'),
    ttl: duration.default('24h').describe('How long a granted approval stays valid.'),
    request_ttl: duration.default('7d').describe('How long a pending request waits before it expires.'),
  })
  .describe('Who approves access that needs an approval, and for how long approvals last.');

export const ruleApprovalSchema = z
  .strictObject({
    always: z.boolean().default(false).describe('Every access granted by this rule needs an approval.'),
    rows_over: z
      .int()
      .nonnegative()
      .optional()
      .describe(
        'Needs an approval when the rows read may exceed this (the smaller of the estimate and `row_limit`; unknown counts as exceeding).',
      ),
    reversible_masks: z
      .boolean()
      .default(false)
      .describe('Needs an approval when any requested mask is reversible.'),
    tables: z
      .array(z.string().min(1))
      .default([])
      .describe('Needs an approval when the query reads one of these tables (patterns as in `tables`).'),
  })
  .describe('Conditions under which access granted by this rule needs an approval.');

/** Who and what purposes a rule grants: shared by read rules and write rules. */
const grantShape = {
  description: z.string().optional().describe('Why the rule exists.'),
  subjects: z
    .array(z.string().min(1))
    .default([])
    .describe('Identity subjects the rule grants (`*`: any subject). A rule needs `subjects` or `groups`.'),
  groups: z.array(z.string().min(1)).default([]).describe('Identity groups the rule grants.'),
  methods: z
    .array(z.enum(['oidc', 'token', 'local']))
    .optional()
    .describe('Authentication methods the rule accepts (default: all).'),
  allow_unverified: z
    .boolean()
    .default(false)
    .describe('Also grant unverified identities (the `local` demo identity). Off unless set explicitly.'),
  purposes: z
    .array(nameOrAny('Purposes'))
    .min(1)
    .describe('Purposes the rule grants (`*`: any declared purpose).'),
};

export const ruleSchema = z
  .strictObject({
    id: name('Rule ids').describe('Stable id; every decision names the rule it applied.'),
    ...grantShape,
    connections: z.array(nameOrAny('Connection names')).min(1).describe('Connections the rule grants.'),
    tables: z
      .array(z.string().min(1))
      .min(1)
      .describe(
        'Tables the rule grants: `table` (in the connection default schema) or `schema.table`; `*` matches any characters within a part.',
      ),
    columns: z
      .strictObject({
        allow: z
          .array(z.string().min(1))
          .optional()
          .describe(
            'When set, only these columns may be read (`column`, `table.column` or `schema.table.column`).',
          ),
        deny: z
          .array(z.string().min(1))
          .default([])
          .describe('Columns that may never be read, in any clause.'),
      })
      .optional()
      .describe('Column grants, checked against every column the query reads (all clauses).'),
    row_filter: z
      .record(z.string().min(1), z.string().min(1))
      .default({})
      .describe(
        'Per table pattern, a SQL predicate on that table’s columns that every read of it must satisfy, e.g. `customers: "country = \'US\'"`. Added to the query through the parse tree.',
      ),
    row_limit: z.int().positive().optional().describe('At most this many rows are returned.'),
    require_approval: z
      .union([z.boolean(), ruleApprovalSchema])
      .default(false)
      .describe('`true`: every access needs an approval; or conditions under which it does.'),
    approvers: approvalSettingsSchema
      .optional()
      .describe('Approvers for this rule instead of the policy-wide `approvals`.'),
  })
  .describe('Grants some identities a purpose on some connections, tables and columns.');

export const detokenizeGrantSchema = z
  .strictObject({
    id: name('Grant ids').describe('Stable id; every detokenization names the grant it used.'),
    description: z.string().optional().describe('Why these identities may reverse tokens.'),
    subjects: z.array(z.string().min(1)).default([]).describe('Subjects granted (`*`: any subject).'),
    groups: z.array(z.string().min(1)).default([]).describe('Groups granted.'),
    methods: z
      .array(z.enum(['oidc', 'token', 'local']))
      .optional()
      .describe('Authentication methods accepted (default: all).'),
    allow_unverified: z
      .boolean()
      .default(false)
      .describe('Also grant unverified identities. Off unless set explicitly.'),
    key_ids: z
      .array(z.string().min(1))
      .min(1)
      .describe('Key ids whose `fpe` tokens these identities may reverse.'),
  })
  .describe(
    'Who may run `pipeline detokenize` (reverse `fpe` tokens) with which keys. Every use is audited.',
  );

export const releaseGateSchema = z
  .strictObject({
    quasi_identifiers: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Output columns that together could re-identify a person (e.g. `postcode`, `birth_year`, `gender`); k-anonymity is computed over those an output has.',
      ),
    k_min: z
      .number()
      .int()
      .min(1)
      .default(5)
      .describe('Smallest allowed group of rows sharing the same quasi-identifier values.'),
    max_pii_rate: z
      .number()
      .min(0)
      .max(1)
      .default(0)
      .describe(
        'Largest allowed share of rows of a text column in which the PII and secret detectors find something (0: none at all).',
      ),
    exempt_columns: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Output columns the PII scan skips, e.g. HMAC token columns, whose hex digits can pass a card-number check by chance.',
      ),
    on_fail: z
      .enum(['fail', 'quarantine'])
      .default('fail')
      .describe(
        '`fail`: the run fails (exit 3) and nothing is committed; `quarantine`: the output is committed with a `*.quarantined.json` report beside it.',
      ),
  })
  .describe(
    'A last check on every output before it is committed: PII/secret scan of text columns and k-anonymity over quasi-identifiers. Reports name columns and counts, never values.',
  );

export const protectedTargetSchema = z
  .strictObject({
    connection: nameOrAny('Connection names').describe('A connection of the config file (`*`: any).'),
    tables: z
      .array(z.string().min(1))
      .min(1)
      .default(['*.*'])
      .describe(
        'Tables on it that writes need an approval for: `table` (connection default schema) or `schema.table`; `*` matches any characters within a part. Default: every table.',
      ),
    description: z.string().optional().describe('Why these tables are protected.'),
    approvers: approvalSettingsSchema
      .optional()
      .describe('Approvers for writes into these tables instead of `writes.approvers`.'),
  })
  .describe(
    'Tables a pipeline output may write only with an approval (like a sensitive read): the request binds the target, mode, column schema, pipeline hash, purpose and requester.',
  );

export const writeRuleSchema = z
  .strictObject({
    id: name('Rule ids').describe('Stable id; every write decision names the rule it applied.'),
    ...grantShape,
    connections: z
      .array(nameOrAny('Connection names'))
      .min(1)
      .describe('Connections the rule lets outputs write into.'),
    tables: z
      .array(z.string().min(1))
      .min(1)
      .describe('Tables the rule lets outputs write: `table` or `schema.table`, `*` within a part.'),
    require_approval: z
      .boolean()
      .default(false)
      .describe('Every write granted by this rule needs an approval (protected tables always do).'),
    approvers: approvalSettingsSchema
      .optional()
      .describe('Approvers for writes granted by this rule instead of `writes.approvers`.'),
  })
  .describe('Grants some identities, for some purposes, writes into some tables of some connections.');

export const writesSchema = z
  .strictObject({
    protected: z
      .array(protectedTargetSchema)
      .default([])
      .describe(
        'Targets whose writes need an approval. A protected table may be written with one even when no rule grants it.',
      ),
    rules: z
      .array(writeRuleSchema)
      .default([])
      .describe(
        'Grants, tried in order; the first rule that matches the identity, purpose and target applies.',
      ),
    unmatched: z
      .enum(['deny', 'allow'])
      .default('deny')
      .describe(
        'A write into a target no rule grants and no `protected` entry covers: `deny` (default, fail closed) or `allow`.',
      ),
    approvers: approvalSettingsSchema
      .optional()
      .describe('Who approves writes (default: the policy-wide `approvals`).'),
  })
  .describe(
    'Who may write pipeline outputs into database tables (the `postgres` output). Without this section writes are not restricted by the policy.',
  );

export const policySchema = z
  .strictObject({
    $schema: z.string().optional().describe('JSON Schema reference for editors; ignored.'),
    version: z.literal(1).describe('Policy file format version.'),
    description: z.string().optional().describe('What this policy governs and who owns it.'),
    connections: z
      .record(name('Connection names'), policyConnectionSchema)
      .default({})
      .describe('Optional facts about connections, such as their default schema.'),
    classes: z
      .record(className, dataClassSchema)
      .default({})
      .describe('Data classes by name, e.g. `pii.email`.'),
    classifications: z
      .record(z.string().min(1), className)
      .default({})
      .describe(
        'Column → class, keyed `connection.schema.table.column`; `*` matches any characters within a part; quote a part holding a dot: `"a.b"`. Every matching entry applies.',
      ),
    purposes: z.record(name('Purposes'), purposeSchema).default({}).describe('Declared purposes of use.'),
    rules: z
      .array(ruleSchema)
      .default([])
      .describe(
        'Grants, tried in order; the first rule that grants the whole query applies. No rule, no data.',
      ),
    approvals: approvalSettingsSchema.optional(),
    release_gate: releaseGateSchema.optional(),
    writes: writesSchema.optional(),
    detokenize: z
      .array(detokenizeGrantSchema)
      .default([])
      .describe('Grants to reverse `fpe` tokens with `pipeline detokenize`. None by default: nobody may.'),
    functions: z
      .strictObject({
        allow: z
          .array(z.string().min(1))
          .optional()
          .describe('When set, the SQL guard denies every function not listed (the denylist still applies).'),
        deny: z.array(z.string().min(1)).default([]).describe('Extra functions the SQL guard denies.'),
      })
      .optional()
      .describe('Additions to the SQL guard’s function lists.'),
  })
  .describe('The access policy: classes, classifications, purposes, rules and approvals.');

export type Policy = z.infer<typeof policySchema>;
export type ReleaseGateConfig = z.infer<typeof releaseGateSchema>;
export type PolicyRule = z.infer<typeof ruleSchema>;
export type DetokenizeGrant = z.infer<typeof detokenizeGrantSchema>;
export type DataClass = z.infer<typeof dataClassSchema>;
export type MaskSatisfier = z.infer<typeof maskSatisfierSchema>;
export type ApprovalSettings = z.infer<typeof approvalSettingsSchema>;
export type RuleApproval = z.infer<typeof ruleApprovalSchema>;
export type WritesPolicy = z.infer<typeof writesSchema>;
export type WriteRule = z.infer<typeof writeRuleSchema>;
