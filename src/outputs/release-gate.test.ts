import { Utf8 } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { ReleaseGate } from './release-gate.js';
import { batchOf } from './test-batches.js';

const config = {
  quasi_identifiers: ['zip', 'missing'],
  k_min: 2,
  max_pii_rate: 0,
  exempt_columns: [],
  on_fail: 'fail' as const,
};

describe('ReleaseGate', () => {
  const batch = batchOf({
    zip: { type: new Utf8(), values: ['1000', '1000', '2000', '2000', '3000'] },
    note: { type: new Utf8(), values: ['fine', 'mail me: a.b@example.org', 'ok', null, 'fine'] },
  });

  it('fails on a planted e-mail and a group below k_min, naming columns and counts only', () => {
    const gate = new ReleaseGate(config, batch.schema);
    gate.add(batch);
    const report = gate.report();
    expect(report.verdict).toBe('fail');
    expect(report.pii).toEqual([{ column: 'note', rows: 1, rate: 0.2, kinds: { email: 1 } }]);
    expect(report.k_anonymity).toEqual({ quasi_identifiers: ['zip'], k: 1, groups: 3, rows_below_k_min: 1 });
    expect(report.reasons).toHaveLength(2);
    expect(JSON.stringify(report)).not.toMatch(/example\.org|1000|3000/);
  });

  it('passes when the thresholds allow it and skips exempt columns', () => {
    const gate = new ReleaseGate(
      { ...config, k_min: 1, exempt_columns: ['note'], on_fail: 'quarantine' },
      batch.schema,
    );
    gate.add(batch);
    expect(gate.report()).toMatchObject({ verdict: 'pass', pii: [], reasons: [] });
  });

  it('quarantines instead of failing when the policy says so', () => {
    const gate = new ReleaseGate({ ...config, on_fail: 'quarantine' }, batch.schema);
    gate.add(batch);
    expect(gate.report().verdict).toBe('quarantined');
  });
});
