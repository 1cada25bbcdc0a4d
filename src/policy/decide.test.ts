import { beforeAll, describe, expect, it } from 'vitest';
import type { IdentityFacts } from '../core/events.js';
import type { MaskProperties } from '../core/transform.js';
import { analyzeSql } from '../guard/analyze-sql.js';
import type { RelationRef } from '../guard/statement-facts.js';
import { type DecisionInput, decide } from './decide.js';
import type { RequestedMask } from './decision.js';
import { loadPolicy } from './load-policy.js';
import type { LoadedPolicy } from './loaded-policy.js';

const IRREVERSIBLE: MaskProperties = { reversible: false, deterministic: true, keyed: false };
const PROPERTIES: Record<string, MaskProperties> = {
  hmac: { reversible: false, deterministic: true, keyed: true },
  redact: IRREVERSIBLE,
  null: IRREVERSIBLE,
  partial: IRREVERSIBLE,
  fpe: { reversible: true, deterministic: true, keyed: true },
};

const ml: IdentityFacts = {
  subject: 'bob@example.com',
  issuer: 'https://idp.example.com',
  method: 'oidc',
  groups: ['ml-engineers'],
  verified: true,
};
const alice: IdentityFacts = { ...ml, subject: 'alice@example.com', groups: ['support'] };

let policy: LoadedPolicy;
beforeAll(async () => {
  policy = await loadPolicy('fixtures/policies/test-policy.yaml');
});

interface Ask {
  identity?: IdentityFacts;
  purpose?: string;
  connection?: string;
  connectionType?: string;
  masks?: Record<string, string | RequestedMask>;
  estimatedRows?: number;
  columnsOf?: (relation: RelationRef) => readonly string[] | undefined;
  source?: string;
}

async function ask(sql: string, a: Ask = {}) {
  const guard = await analyzeSql(sql, a.columnsOf === undefined ? {} : { columnsOf: a.columnsOf });
  const requestedMasks: Record<string, RequestedMask> = {};
  for (const [column, mask] of Object.entries(a.masks ?? {})) {
    requestedMasks[column] = typeof mask === 'string' ? { mask, params: {} } : mask;
  }
  const input: DecisionInput = {
    identity: a.identity ?? ml,
    purpose: a.purpose ?? 'model-training',
    connection: a.connection ?? 'crm',
    connectionType: a.connectionType ?? 'postgres',
    sql,
    guard,
    requestedMasks,
    maskProperties: (mask) => PROPERTIES[mask],
    estimatedRows: a.estimatedRows ?? 10,
  };
  if (a.source !== undefined) input.source = a.source;
  return decide(input, policy);
}

const messages = (d: { reasons: { message: string }[] }) => d.reasons.map((r) => r.message).join('\n');

describe('rule matching', () => {
  it('grants by group and names the rule it applied', async () => {
    const d = await ask('SELECT country FROM customers');
    expect(d.verdict).toBe('allow');
    expect(d.matched_rule).toBe('ml-training');
    expect(d.policy_version).toBe(policy.version);
    expect(d.reasons[0]?.rule).toBe('ml-training');
  });

  it('grants by subject', async () => {
    const d = await ask('SELECT full_name, country FROM customers', { identity: alice, purpose: 'support' });
    expect(d.verdict).toBe('allow');
    expect(d.matched_rule).toBe('support-agents');
  });

  it('denies a purpose no rule grants, naming the purpose and why each rule did not apply', async () => {
    const d = await ask('SELECT country FROM customers', { purpose: 'support' });
    expect(d.verdict).toBe('deny');
    expect(d.reasons[0]?.rule).toBe('no-matching-rule');
    expect(messages(d)).toContain('purpose `support`');
    expect(messages(d)).toContain('`ml-training`: purpose `support` is not in its `purposes`');
    expect(messages(d)).toContain('`support-agents`: subject `bob@example.com` and its groups');
  });

  it('denies a purpose the policy does not declare', async () => {
    const d = await ask('SELECT country FROM customers', { purpose: 'marketing' });
    expect(d.verdict).toBe('deny');
    expect(messages(d)).toContain('Purpose `marketing` is not declared');
  });

  it('denies an identity in no granted group', async () => {
    const d = await ask('SELECT country FROM customers', { identity: { ...ml, groups: ['finance'] } });
    expect(d.verdict).toBe('deny');
    expect(d.reasons[0]?.rule).toBe('no-matching-rule');
  });

  it('denies an unverified identity unless the rule allows unverified identities explicitly', async () => {
    const d = await ask('SELECT country FROM customers', {
      identity: { ...ml, method: 'local', verified: false },
    });
    expect(d.verdict).toBe('deny');
    expect(messages(d)).toContain('allow_unverified: true');
  });

  it('denies a connection the rule does not grant', async () => {
    const d = await ask('SELECT country FROM customers', { connection: 'billing' });
    expect(d.verdict).toBe('deny');
    expect(messages(d)).toContain('connection `billing` is not in its `connections`');
  });

  it('denies a table outside the grant, naming the table and the rule', async () => {
    const d = await ask('SELECT c.country FROM customers c JOIN invoices i ON i.customer = c.country');
    expect(d.verdict).toBe('deny');
    expect(d.reasons).toContainEqual({
      rule: 'ml-training',
      message:
        'Rule `ml-training` does not grant table `public.invoices`; it grants `customers`, `orders`, `patients`.',
    });
  });

  it('denies a table in another schema than the granted one', async () => {
    const d = await ask('SELECT country FROM staging.customers');
    expect(d.verdict).toBe('deny');
    expect(messages(d)).toContain('`staging.customers`');
  });

  it('denies a denied column even when it is read only in WHERE', async () => {
    const d = await ask("SELECT country FROM customers WHERE password_hash = 'x'");
    expect(d.verdict).toBe('deny');
    expect(messages(d)).toContain('Rule `ml-training` denies column `public.customers.password_hash`');
  });

  it('denies a column outside an allow list', async () => {
    const d = await ask('SELECT ssn FROM customers', {
      identity: alice,
      purpose: 'support',
      masks: { ssn: 'redact' },
    });
    expect(d.verdict).toBe('deny');
    expect(messages(d)).toContain('Rule `support-agents` does not grant column `public.customers.ssn`');
  });

  it('denies `*` under an allow list when the columns are not known', async () => {
    const d = await ask('SELECT * FROM customers', { identity: alice, purpose: 'support' });
    expect(d.verdict).toBe('deny');
    expect(messages(d)).toContain('Name the columns instead of `*`');
  });

  it('carries the guard’s deny reasons', async () => {
    const d = await ask('DELETE FROM customers');
    expect(d.verdict).toBe('deny');
    expect(d.reasons[0]?.rule).toMatch(/^guard:/);
  });
});

describe('classes inherited through lineage', () => {
  it('requires a mask on a classified column and names the masks that satisfy it', async () => {
    const d = await ask('SELECT email FROM customers', { source: 'customers' });
    expect(d.verdict).toBe('deny');
    expect(d.reasons).toEqual([
      {
        rule: 'ml-training',
        message:
          'Column `email` of source `customers` is classified `pii.email`; mask it with one of: `hmac`, `redact`, `null`, `partial` (format: email).',
      },
    ]);
    expect(d.mandatory_masks.email).toMatchObject({ classes: ['pii.email'], satisfied: false });
  });

  it('passes the class on to an alias', async () => {
    const denied = await ask('SELECT email AS contact FROM customers');
    expect(denied.verdict).toBe('deny');
    expect(messages(denied)).toContain('Column `contact` of source `customers` is classified `pii.email`');
    expect(messages(denied)).toContain('It derives from `public.customers.email`.');
    const allowed = await ask('SELECT email AS contact FROM customers', { masks: { contact: 'hmac' } });
    expect(allowed.verdict).toBe('allow');
    expect(allowed.mandatory_masks.contact).toMatchObject({
      classes: ['pii.email'],
      sources: ['public.customers.email'],
      requested: { mask: 'hmac', params: {} },
      satisfied: true,
    });
  });

  it('requires an expression of two classified columns to satisfy both classes', async () => {
    const sql = "SELECT lower(email) || '/' || ssn AS key FROM customers";
    const hmac = await ask(sql, { masks: { key: 'hmac' } });
    expect(hmac.verdict).toBe('deny');
    expect(messages(hmac)).toContain(
      'is classified `pii.email` and `pii.ssn`; its mask `hmac` does not satisfy it',
    );
    expect(messages(hmac)).toContain('mask it with one of: `redact`');
    const redact = await ask(sql, { masks: { key: 'redact' } });
    expect(redact.verdict).toBe('allow');
    expect(redact.mandatory_masks.key?.classes).toEqual(['pii.email', 'pii.ssn']);
  });

  it('leaves count(*) unclassified', async () => {
    const d = await ask('SELECT country, count(*) AS n FROM customers GROUP BY country');
    expect(d.verdict).toBe('allow');
    expect(d.mandatory_masks).toEqual({});
  });

  it('classifies the columns a `*` expands to when the catalog is known', async () => {
    const columnsOf = (r: RelationRef) => (r.name === 'customers' ? ['id', 'email', 'country'] : undefined);
    const denied = await ask('SELECT * FROM customers', { columnsOf });
    expect(denied.verdict).toBe('deny');
    expect(Object.keys(denied.mandatory_masks).sort()).toEqual(['email', 'id']);
    const allowed = await ask('SELECT * FROM customers', {
      columnsOf,
      masks: { id: 'hmac', email: 'redact' },
    });
    expect(allowed.verdict).toBe('allow');
  });

  it('denies `*` over a classified table when the columns are not known', async () => {
    const d = await ask('SELECT * FROM orders', { masks: { customer_id: 'hmac' } });
    expect(d.verdict).toBe('deny');
    expect(messages(d)).toContain('selects `*` from `orders`, which has classified columns');
  });

  it('traces a class through CTEs and subqueries', async () => {
    const sql =
      'WITH c AS (SELECT id AS cid, email AS e FROM customers) SELECT x.e AS mail FROM (SELECT * FROM c) x';
    const d = await ask(sql);
    expect(d.verdict).toBe('deny');
    expect(d.mandatory_masks.mail?.classes).toEqual(['pii.email']);
  });

  it('classifies through a wildcard schema', async () => {
    const d = await ask('SELECT customer_id FROM orders');
    expect(d.mandatory_masks.customer_id?.classes).toEqual(['identifier.customer']);
  });

  it('denies an output column it cannot trace while classified columns are read', async () => {
    const d = await ask('SELECT email FROM customers c JOIN orders o ON o.customer_id = c.id', {
      masks: { email: 'hmac' },
    });
    expect(d.verdict).toBe('deny');
    expect(messages(d)).toContain('Output column `email` could not be traced');
  });

  it('lets an untraceable output column through only when nothing the query reads is classified', async () => {
    const auditor = { identity: { ...ml, groups: ['auditors'] }, purpose: 'audit' };
    const plain = await ask('SELECT status FROM shipments s JOIN carriers c ON true', auditor);
    expect(plain.verdict).toBe('approval_required'); // the purpose needs one; nothing is denied
    const classified = await ask('SELECT status FROM patients p JOIN carriers c ON true', auditor);
    expect(classified.verdict).toBe('deny');
    expect(messages(classified)).toContain('Output column `status` could not be traced');
  });

  it('denies a duplicated classified output name', async () => {
    const d = await ask('SELECT c.email, c.email FROM customers c', { masks: { email: 'hmac' } });
    expect(d.verdict).toBe('deny');
    expect(messages(d)).toContain('appears more than once');
  });

  it('classifies an unqualified table in any schema, since the search path decides at run time', async () => {
    const d = await ask('SELECT email FROM customers', { connection: 'wh', connectionType: 'postgres' });
    expect(d.mandatory_masks.email?.classes).toEqual(['pii.email']);
  });

  it('classifies a DuckDB `catalog.table` reference like the table itself', async () => {
    const ref = { schema: 'fixtures', name: 'customers' };
    expect(policy.classify('wh', ref, 'full_name', 'duckdb')).toEqual(['pii.name']);
    expect(policy.classify('wh', ref, 'full_name', 'postgres')).toEqual([]);
    expect(policy.classify('wh', 'main.customers', 'full_name', 'postgres')).toEqual(['pii.name']);
    // The grant is strict: `fixtures.customers` is not `main.customers`.
    const d = await ask('SELECT email FROM fixtures.customers', {
      connection: 'wh',
      connectionType: 'duckdb',
    });
    expect(d.verdict).toBe('deny');
  });

  it('decides the same on DuckDB and PostgreSQL connections', async () => {
    for (const masks of [{}, { email: 'hmac' }, { email: 'partial' }]) {
      const onPg = await ask('SELECT email, country FROM customers', {
        connection: 'wh',
        connectionType: 'postgres',
        masks,
      });
      const onDuck = await ask('SELECT email, country FROM customers', {
        connection: 'wh',
        connectionType: 'duckdb',
        masks,
      });
      expect(onDuck.verdict).toBe(onPg.verdict);
      expect(onDuck.mandatory_masks.email?.satisfied).toBe(onPg.mandatory_masks.email?.satisfied);
      expect(messages(onDuck).replaceAll('main.', 'public.')).toBe(messages(onPg));
    }
  });
});

describe('masks that satisfy a class', () => {
  it('accepts a mask within its parameter constraints and refuses one outside them', async () => {
    const keep4 = await ask('SELECT ssn FROM customers', {
      masks: { ssn: { mask: 'partial', params: { keep_last: 4 } } },
    });
    expect(keep4.verdict).toBe('allow');
    const keep6 = await ask('SELECT ssn FROM customers', {
      masks: { ssn: { mask: 'partial', params: { keep_last: 6 } } },
    });
    expect(keep6.verdict).toBe('deny');
    expect(messages(keep6)).toContain('its mask `partial` does not satisfy it');
    expect(messages(keep6)).toContain('`partial` (keep_first at most 0, keep_last at most 4)');
    const first = await ask('SELECT ssn FROM customers', {
      masks: { ssn: { mask: 'partial', params: { keep_first: 1, keep_last: 2 } } },
    });
    expect(first.verdict).toBe('deny');
  });

  it('requires exact parameters where the class names them', async () => {
    const email = await ask('SELECT email FROM customers', {
      masks: { email: { mask: 'partial', params: { format: 'email' } } },
    });
    expect(email.verdict).toBe('allow');
    const plain = await ask('SELECT email FROM customers', {
      masks: { email: { mask: 'partial', params: { keep_last: 3 } } },
    });
    expect(plain.verdict).toBe('deny');
  });

  it('refuses a mask that is not registered', async () => {
    const d = await ask('SELECT email FROM customers', { masks: { email: 'scramble' } });
    expect(d.verdict).toBe('deny');
    expect(messages(d)).toContain('its mask `scramble` is not registered');
  });

  it('lets a purpose read a class unmasked when the class allows it', async () => {
    const support = await ask('SELECT full_name FROM customers', { identity: alice, purpose: 'support' });
    expect(support.verdict).toBe('allow');
    expect(support.mandatory_masks.full_name).toMatchObject({ unmasked_allowed: true, satisfied: true });
    const training = await ask('SELECT full_name FROM customers');
    expect(training.verdict).toBe('deny');
  });
});

describe('classified columns outside the output', () => {
  it('allows and records a classified column used only in WHERE by default', async () => {
    const d = await ask("SELECT country FROM customers WHERE email LIKE '%@example.com'");
    expect(d.verdict).toBe('allow');
    expect(d.predicate_uses).toEqual([
      { relation: 'public.customers', column: 'email', classes: ['pii.email'] },
    ]);
  });

  it('denies a predicate use the class forbids', async () => {
    const d = await ask("SELECT country FROM customers WHERE api_token = 'x'");
    expect(d.verdict).toBe('deny');
    expect(messages(d)).toContain('`public.customers.api_token` is classified `secret.token`');
  });

  it('asks for an approval for a predicate use the class puts under approval', async () => {
    const d = await ask("SELECT country FROM customers WHERE birth_date < '2000-01-01'");
    expect(d.verdict).toBe('approval_required');
  });

  it('counts a join key as a predicate use', async () => {
    const d = await ask('SELECT o.status FROM orders o JOIN customers c ON c.id = o.customer_id');
    expect(d.verdict).toBe('allow');
    expect(d.predicate_uses.map((u) => `${u.relation}.${u.column}`).sort()).toEqual([
      'public.customers.id',
      'public.orders.customer_id',
    ]);
  });
});

describe('row filters, row limits and approvals', () => {
  it('returns the rule’s row filter for every filtered table read, and its row limit', async () => {
    const d = await ask('SELECT c.country FROM customers c JOIN orders o ON o.status = c.country');
    expect(d.row_filters).toEqual([{ relation: 'public.customers', predicate: "country = 'US'" }]);
    expect(d.row_limit).toBe(100000);
  });

  it('requires an approval over `rows_over` rows, and when the count is not known', async () => {
    expect((await ask('SELECT country FROM customers', { estimatedRows: 10 })).verdict).toBe('allow');
    const big = await ask('SELECT country FROM customers', { estimatedRows: 60000 });
    expect(big.verdict).toBe('approval_required');
    expect(big.approval).toEqual({
      reasons: ['The query may read up to 60000 rows; rule `ml-training` requires an approval above 50000.'],
      approver_groups: ['data-governance'],
      mode: 'any_of',
      min_approvals: 1,
      ttl: '12h',
      request_ttl: '7d',
    });
    // The row limit (100000) bounds an unknown count, and is itself above 50000.
    const guard = await analyzeSql('SELECT country FROM customers');
    const unknown = decide(
      {
        identity: ml,
        purpose: 'model-training',
        connection: 'crm',
        connectionType: 'postgres',
        sql: 'SELECT country FROM customers',
        guard,
        requestedMasks: {},
        maskProperties: (m) => PROPERTIES[m],
      },
      policy,
    );
    expect(unknown.verdict).toBe('approval_required');
  });

  it('requires an approval for a reversible mask', async () => {
    const d = await ask('SELECT diagnosis FROM patients', { masks: { diagnosis: 'fpe' } });
    expect(d.verdict).toBe('approval_required');
    expect(d.approval?.reasons).toContain(
      'Column `diagnosis` uses a reversible mask; rule `ml-training` requires an approval for that.',
    );
    expect(d.approval?.reasons.some((r) => r.includes('classified `health.diagnosis`'))).toBe(true);
    expect((await ask('SELECT diagnosis FROM patients', { masks: { diagnosis: 'redact' } })).verdict).toBe(
      'allow',
    );
  });

  it('requires an approval for a purpose that needs one', async () => {
    const d = await ask('SELECT country FROM customers', {
      identity: { ...ml, groups: ['auditors'] },
      purpose: 'audit',
    });
    expect(d.verdict).toBe('approval_required');
    expect(d.matched_rule).toBe('auditors');
    expect(d.approval?.reasons).toEqual(['Purpose `audit` requires an approval.']);
  });
});

describe('engine functions that read by name', () => {
  it.each([
    "SELECT * FROM query_table('customers')",
    "SELECT email FROM query('SELECT email FROM customers')",
    "SELECT * FROM read_parquet('customers.parquet')",
    "SELECT getenv('HOME') AS home",
  ])('denies `%s` on DuckDB, where it would read around row filters and classifications', async (sql) => {
    const d = await ask(sql, { connection: 'wh', connectionType: 'duckdb' });
    expect(d.verdict).toBe('deny');
    expect(d.reasons[0]?.rule).toBe('guard:denied-function');
  });
});
