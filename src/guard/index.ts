export * from './analyze-sql.js';
export * from './denylist.js';
export * from './format-guard-result.js';
export * from './guard-result.js';
export { GUARD_RULES, type GuardRule, statementLabel } from './rules.js';
export * from './sensitive-relations.js';
export * from './statement-facts.js';
