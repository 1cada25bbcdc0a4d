import { describe, expect, it } from 'vitest';
import { readClaim } from './claim-path.js';

describe('claim paths', () => {
  const claims = {
    sub: 'a',
    realm_access: { roles: ['r'] },
    'kubernetes.io': { namespace: 'ml', serviceaccount: { name: 'trainer' } },
    'dotted.name': 'literal',
  };

  it('read plain, nested and dotted-name claims', () => {
    expect(readClaim(claims, 'sub')).toBe('a');
    expect(readClaim(claims, 'realm_access.roles')).toEqual(['r']);
    expect(readClaim(claims, 'kubernetes.io.namespace')).toBe('ml');
    expect(readClaim(claims, 'kubernetes.io.serviceaccount.name')).toBe('trainer');
    expect(readClaim(claims, 'dotted.name')).toBe('literal');
  });

  it('give nothing for missing paths or inherited properties', () => {
    expect(readClaim(claims, 'realm_access.missing')).toBeUndefined();
    expect(readClaim(claims, 'constructor')).toBeUndefined();
    expect(readClaim(claims, 'sub.length')).toBeUndefined();
  });
});
