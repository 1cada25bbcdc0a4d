import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/** SHA-256 of the RFC 8785 form of a parse tree with every source position removed. */
export function astHash(statements: unknown[]): string {
  const canonical = canonicalize(stripPositions(statements)) ?? 'null';
  return createHash('sha256').update(canonical).digest('hex');
}

function stripPositions(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripPositions);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (key === 'location' || key === 'stmt_location' || key === 'stmt_len' || key.endsWith('_location'))
      continue;
    out[key] = stripPositions(child);
  }
  return out;
}
