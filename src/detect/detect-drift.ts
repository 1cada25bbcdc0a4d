import type { RecordBatch } from 'apache-arrow';
import { classifyValues } from './classify-values.js';
import { driftSample, driftSampleSize } from './drift-sample.js';
import type { PiiKind } from './pii-kind.js';

/** A column the policy does not classify in which the detectors found personal data or secrets. */
export interface DriftFinding {
  column: string;
  kind: PiiKind;
  /** Share of the batch's non-null values containing that kind. */
  ratio: number;
}

/**
 * Scans the string columns of `batch` that are not in `classifiedColumns` and reports each kind found
 * in at least `threshold` (0..1) of a column's non-null values, highest ratio first. The engine calls
 * it per batch and stops (or quarantines) when the list is not empty. Never returns a value.
 *
 * A large column is first scanned through a sample (`driftSample`, at least 4,096 values and at
 * least 256 / `threshold`); only when some kind reaches half the threshold in the sample is the
 * whole column scanned, and findings and their ratios always come from that full scan. A column at
 * or above the threshold shows less than half of it in the sample with a probability below e^-32
 * (Chernoff bound, ≥ 256 expected hits); columns smaller than twice the sample are scanned whole.
 *
 * @example
 * const findings = detectDrift(batch, new Set(['email']), 0.05);
 * if (findings.length > 0) throw driftError(findings);
 */
export function detectDrift(
  batch: RecordBatch,
  classifiedColumns: ReadonlySet<string>,
  threshold: number,
): DriftFinding[] {
  const findings: DriftFinding[] = [];
  const sampleSize = driftSampleSize(threshold);
  batch.schema.fields.forEach((field, i) => {
    if (classifiedColumns.has(field.name)) return;
    const vector = batch.getChildAt(i);
    if (!vector) return;
    const sample = driftSample(vector, sampleSize);
    if (sample && !reaches(classifyValues(sample).ratios, threshold / 2)) return;
    const { values, ratios } = classifyValues(vector);
    if (values === 0) return;
    for (const [kind, ratio] of Object.entries(ratios) as [PiiKind, number][]) {
      if (ratio >= threshold && ratio > 0) findings.push({ column: field.name, kind, ratio });
    }
  });
  return findings.sort((a, b) => b.ratio - a.ratio);
}

function reaches(ratios: Partial<Record<PiiKind, number>>, bar: number): boolean {
  return Object.values(ratios).some((r) => r !== undefined && r > 0 && r >= bar);
}
