import { type Data, DataType, type RecordBatch, type Schema, Vector } from 'apache-arrow';
import type { EventOf } from '../core/events.js';
import { detectInText } from '../detect/detect-in-text.js';
import type { ReleaseGateConfig } from '../policy/policy-schema.js';
import { rowFingerprints } from './row-fingerprint.js';

type GateReport = Omit<EventOf<'release_gate'>, 'type' | 'run_id' | 'ts' | 'output'>;

/**
 * Scans the rows an output writes: text columns with the PII and secret detectors, and the group
 * sizes of the quasi-identifier columns (k-anonymity, one counter per distinct combination).
 * The report names columns and counts, never values.
 */
export class ReleaseGate {
  readonly #config: ReleaseGateConfig;
  readonly #text: string[];
  readonly #quasi: string[];
  readonly #hits = new Map<string, { rows: number; kinds: Record<string, number> }>();
  readonly #groups = new Map<number, number>();
  #rows = 0;

  constructor(config: ReleaseGateConfig, schema: Schema) {
    this.#config = config;
    const exempt = new Set(config.exempt_columns);
    this.#text = schema.fields
      .filter((f) => (DataType.isUtf8(f.type) || DataType.isLargeUtf8(f.type)) && !exempt.has(f.name))
      .map((f) => f.name);
    const have = new Set(schema.fields.map((f) => f.name));
    this.#quasi = config.quasi_identifiers.filter((q) => have.has(q));
  }

  add(batch: RecordBatch): void {
    this.#rows += batch.numRows;
    for (const name of this.#text) {
      const column = batch.getChild(name);
      if (!column) continue;
      for (const data of column.data as Data[]) {
        const vector = new Vector([data]);
        for (let i = 0; i < data.length; i++) {
          const text = vector.get(i) as string | null;
          if (!text) continue;
          const spans = detectInText(text);
          if (spans.length === 0) continue;
          const hit = this.#hits.get(name) ?? { rows: 0, kinds: {} };
          hit.rows++;
          for (const s of spans) hit.kinds[s.kind] = (hit.kinds[s.kind] ?? 0) + 1;
          this.#hits.set(name, hit);
        }
      }
    }
    if (this.#quasi.length > 0) {
      const { hi, lo } = rowFingerprints(batch, this.#quasi);
      for (let i = 0; i < batch.numRows; i++) {
        // 53 bits of the fingerprint as a Map key: collisions merge groups, so k is never overstated by much.
        const key = (hi[i]! & 0x1fffff) * 2 ** 32 + lo[i]!;
        this.#groups.set(key, (this.#groups.get(key) ?? 0) + 1);
      }
    }
  }

  report(): GateReport {
    const { k_min, max_pii_rate } = this.#config;
    const reasons: string[] = [];
    const pii = [...this.#hits].map(([column, hit]) => ({
      column,
      rows: hit.rows,
      rate: this.#rows === 0 ? 0 : hit.rows / this.#rows,
      kinds: hit.kinds,
    }));
    for (const p of pii) {
      if (p.rate > max_pii_rate)
        reasons.push(
          `Column \`${p.column}\`: the detectors found ${Object.keys(p.kinds).join(', ')} in ${p.rows} of ${this.#rows} rows (rate ${p.rate.toFixed(4)} > max_pii_rate ${max_pii_rate}).`,
        );
    }
    let k: GateReport['k_anonymity'];
    if (this.#quasi.length > 0 && this.#rows > 0) {
      let min = Number.POSITIVE_INFINITY;
      let below = 0;
      for (const n of this.#groups.values()) {
        if (n < min) min = n;
        if (n < k_min) below += n;
      }
      k = { quasi_identifiers: this.#quasi, k: min, groups: this.#groups.size, rows_below_k_min: below };
      if (min < k_min)
        reasons.push(
          `Quasi-identifiers ${this.#quasi.map((q) => `\`${q}\``).join(', ')}: smallest group has ${min} rows (k_min ${k_min}); ${below} rows are in groups below it.`,
        );
    }
    const verdict = reasons.length === 0 ? 'pass' : this.#config.on_fail === 'fail' ? 'fail' : 'quarantined';
    return {
      verdict,
      rows: this.#rows,
      pii,
      ...(k === undefined ? {} : { k_anonymity: k }),
      thresholds: { k_min, max_pii_rate },
      reasons,
    };
  }
}
