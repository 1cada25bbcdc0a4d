import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { customersSchema } from '../../fixtures/tables/customers.js';
import { ordersSchema } from '../../fixtures/tables/orders.js';
import { supportTicketsSchema } from '../../fixtures/tables/support-tickets.js';
import type { IdentityFacts } from '../core/events.js';
import type { MaskProperties } from '../core/transform.js';
import { analyzeSql } from '../guard/analyze-sql.js';
import type { RelationRef } from '../guard/statement-facts.js';
import { decide } from './decide.js';
import type { Decision, RequestedMask } from './decision.js';
import { loadPolicy } from './load-policy.js';
import type { LoadedPolicy } from './loaded-policy.js';

interface DemoSource {
  connection: string;
  query?: string;
  table?: string;
  columns?: string[];
}
interface DemoPipeline {
  purpose: string;
  sources: Record<string, DemoSource>;
  transforms: Record<string, Record<string, { mask: string } & Record<string, unknown>>>;
}

const local: IdentityFacts = {
  subject: 'demo-user',
  issuer: 'local',
  method: 'local',
  groups: [],
  verified: false,
};
const IRREVERSIBLE: MaskProperties = { reversible: false, deterministic: true, keyed: false };
const REGISTERED = new Set(['hmac', 'redact', 'null', 'partial', 'redact_pii']);
const TABLES: Record<string, readonly string[]> = {
  customers: customersSchema.fields.map((f) => f.name),
  orders: ordersSchema.fields.map((f) => f.name),
  support_tickets: supportTicketsSchema.fields.map((f) => f.name),
};

let policy: LoadedPolicy;
let pipeline: DemoPipeline;
beforeAll(async () => {
  policy = await loadPolicy('fixtures/policies/demo-policy.yaml');
  pipeline = parseYaml(await readFile('pipelines/demo.yaml', 'utf8')) as DemoPipeline;
});

/** The query a source runs, as the DuckDB connector writes it for `table` sources. */
function sourceSql(source: DemoSource): string {
  if (source.query !== undefined) return source.query;
  const columns = source.columns?.map((c) => `"${c}"`).join(', ') ?? '*';
  return `SELECT ${columns} FROM "${source.table}"`;
}

async function decideSource(
  name: string,
  transforms = pipeline.transforms[name] ?? {},
  source = pipeline.sources[name] as DemoSource,
): Promise<Decision> {
  const sql = sourceSql(source);
  const guard = await analyzeSql(sql, {
    ...policy.guardOptions,
    columnsOf: (r: RelationRef) => TABLES[r.name],
  });
  const requestedMasks: Record<string, RequestedMask> = {};
  for (const [column, { mask, ...params }] of Object.entries(transforms))
    requestedMasks[column] = { mask, params };
  return decide(
    {
      identity: local,
      purpose: pipeline.purpose,
      connection: source.connection,
      connectionType: 'fixture',
      sql,
      guard,
      requestedMasks,
      maskProperties: (mask) => (REGISTERED.has(mask) ? IRREVERSIBLE : undefined),
      source: name,
    },
    policy,
  );
}

describe('the demo policy on the demo pipeline', () => {
  it('allows every source of the demo as it is, under the local-identity rule', async () => {
    for (const name of Object.keys(pipeline.sources)) {
      const d = await decideSource(name);
      expect(d.verdict, `${name}: ${d.reasons.map((r) => r.message).join(' ')}`).toBe('allow');
      expect(d.matched_rule).toBe('demo-local-training');
    }
    const customers = await decideSource('customers');
    expect(Object.keys(customers.mandatory_masks).sort()).toEqual([
      'email',
      'full_name',
      'id',
      'phone',
      'ssn',
    ]);
    expect(Object.values(customers.mandatory_masks).every((m) => m.satisfied)).toBe(true);
  });

  it('denies the customers source once the email mask is removed, naming the column and the masks', async () => {
    const { email: _removed, ...rest } = pipeline.transforms.customers ?? {};
    const d = await decideSource('customers', rest);
    expect(d.verdict).toBe('deny');
    expect(d.reasons).toEqual([
      {
        rule: 'demo-local-training',
        message:
          'Column `email` of source `customers` is classified `pii.email`; mask it with one of: `hmac`, `redact`, `null`, `partial` (format: email).',
      },
    ]);
  });

  it('denies an SSN mask that keeps more than the last four digits', async () => {
    const transforms = { ...pipeline.transforms.customers, ssn: { mask: 'partial', keep_last: 5 } };
    const d = await decideSource('customers', transforms);
    expect(d.verdict).toBe('deny');
    expect(d.reasons[0]?.message).toContain('`partial` (keep_first at most 0, keep_last at most 4)');
  });

  it('requires a mask on the ticket body, which may be satisfied by redact_pii', async () => {
    const bodies = { connection: 'demo', query: 'SELECT id, body FROM support_tickets' };
    const bare = await decideSource('bodies', {}, bodies);
    expect(bare.verdict).toBe('deny');
    expect(bare.reasons[0]?.message).toContain('`redact_pii`, `redact`, `null`');
    expect((await decideSource('bodies', { body: { mask: 'redact_pii' } }, bodies)).verdict).toBe('allow');
  });

  it('denies a verified identity the demo rule does not cover', async () => {
    const source = pipeline.sources.tickets as DemoSource;
    const guard = await analyzeSql(sourceSql(source));
    const d = decide(
      {
        identity: { ...local, method: 'token', verified: true },
        purpose: 'model-training',
        connection: 'demo',
        connectionType: 'fixture',
        sql: sourceSql(source),
        guard,
        requestedMasks: {},
        maskProperties: () => IRREVERSIBLE,
      },
      policy,
    );
    expect(d.verdict).toBe('deny');
    expect(d.reasons[0]?.message).toContain('method `token` is not in its `methods`');
  });
});
