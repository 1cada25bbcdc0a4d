import { astHash } from './ast-hash.js';
import type { GuardOptions, GuardResult } from './guard-result.js';
import { parseSql } from './parse-sql.js';
import { analyzeStatements } from './query-analyzer.js';
import { applyRules } from './rules.js';

/**
 * Parses SQL with the PostgreSQL parser, collects its facts and judges it against the guard's
 * rules. Throws `QUERY_INVALID` when the text does not parse.
 *
 * @example
 * const result = await analyzeSql('SELECT id, lower(email) AS email FROM crm.customers');
 * result.verdict; // 'allow'
 * result.facts.lineage[1]; // { output: 'email', sources: [{ relation: { schema: 'crm', name: 'customers' }, column: 'email' }], derived: true, ... }
 */
export async function analyzeSql(sql: string, options: GuardOptions = {}): Promise<GuardResult> {
  const parsed = await parseSql(sql);
  const { facts, observations } = analyzeStatements(parsed.statements, options);
  const reasons = applyRules(observations, options);
  return {
    verdict: reasons.length === 0 ? 'allow' : 'deny',
    reasons,
    facts: { ...facts, astHash: astHash(parsed.statements) },
  };
}
