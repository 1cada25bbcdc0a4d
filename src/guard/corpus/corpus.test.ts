import { describe, expect, it } from 'vitest';
import { analyzeSql } from '../analyze-sql.js';
import { ALLOWED_CORPUS } from './allowed.js';
import { DENIED_CORPUS } from './denied.js';

describe('adversarial corpus', () => {
  it('has at least 60 cases with unique names', () => {
    expect(DENIED_CORPUS.length).toBeGreaterThanOrEqual(60);
    expect(new Set(DENIED_CORPUS.map((c) => c.name)).size).toBe(DENIED_CORPUS.length);
  });

  for (const c of DENIED_CORPUS) {
    it(`denies ${c.name} by rule ${c.rule}`, async () => {
      const result = await analyzeSql(c.sql, c.options);
      expect(result.verdict).toBe('deny');
      expect(result.reasons.map((r) => r.rule)).toContain(c.rule);
    });
  }
});

describe('ordinary analytical reads', () => {
  it('has at least 25 cases with unique names', () => {
    expect(ALLOWED_CORPUS.length).toBeGreaterThanOrEqual(25);
    expect(new Set(ALLOWED_CORPUS.map((c) => c.name)).size).toBe(ALLOWED_CORPUS.length);
  });

  for (const c of ALLOWED_CORPUS) {
    it(`allows ${c.name}`, async () => {
      const result = await analyzeSql(c.sql, c.options);
      expect(result.reasons).toEqual([]);
      expect(result.verdict).toBe('allow');
    });
  }
});
