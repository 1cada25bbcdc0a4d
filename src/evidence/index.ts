export * from './audit-chain.js';
export * from './audit-event.js';
export * from './audit-log.js';
export * from './audit-query.js';
export * from './canonical-json.js';
export * from './export-access-history.js';
export * from './signing.js';
export * from './verify-audit-log.js';
