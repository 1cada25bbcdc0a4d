import { describe, expect, it } from 'vitest';
import { durationMs, incrementalSchema } from './incremental-schema.js';

describe('incremental config', () => {
  it('accepts a column with a tiebreaker, or with a lookback', () => {
    expect(incrementalSchema.parse({ column: 'updated_at', tiebreaker: 'id' })).toEqual({
      column: 'updated_at',
      tiebreaker: 'id',
    });
    expect(incrementalSchema.parse({ column: 'seq', lookback: 1000 }).lookback).toBe(1000);
  });

  it('rejects a tiebreaker together with a lookback, a tiebreaker equal to the column, and unknown keys', () => {
    const both = incrementalSchema.safeParse({ column: 'ts', tiebreaker: 'id', lookback: '5m' });
    expect(both.error?.issues.map((i) => i.message)).toContain('Give `tiebreaker` or `lookback`, not both.');
    expect(incrementalSchema.safeParse({ column: 'ts', tiebreaker: 'ts' }).success).toBe(false);
    expect(incrementalSchema.safeParse({ column: 'ts', lookback: '5 minutes' }).success).toBe(false);
    expect(incrementalSchema.safeParse({ column: 'ts', colum: 'x' }).success).toBe(false);
  });

  it('reads lookback durations in milliseconds', () => {
    expect([
      durationMs('500ms'),
      durationMs('30s'),
      durationMs('15m'),
      durationMs('2h'),
      durationMs('1d'),
    ]).toEqual([500, 30_000, 900_000, 7_200_000, 86_400_000]);
  });
});
