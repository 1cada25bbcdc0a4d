import type { RecordBatch } from 'apache-arrow';
import { SluiceError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import { detectDrift } from '../detect/detect-drift.js';

export interface DriftSettings {
  /** Share (0..1) of a column's non-null values that must look like PII for the column to count. */
  threshold: number;
  /** Stop the run, or drop (quarantine) the batch and go on. */
  on_detect: 'fail' | 'quarantine';
}

/**
 * Schema drift: a column nobody classified (and nothing masks) that turns out to hold personal
 * data. Each batch's unmasked text columns are scanned; above the threshold the run stops, or the
 * batch is quarantined (dropped and counted), and nothing of it is written. Reports name the column
 * and the kind of data, never a value.
 */
export async function* guardDrift(
  source: string,
  batches: AsyncIterable<RecordBatch>,
  covered: ReadonlySet<string>,
  settings: DriftSettings,
  events: EventBus,
  logger: Logger,
): AsyncGenerator<RecordBatch> {
  for await (const batch of batches) {
    const findings = detectDrift(batch, covered, settings.threshold);
    if (findings.length === 0) {
      yield batch;
      continue;
    }
    for (const f of findings) {
      events.emit({
        type: 'drift_detected',
        source,
        column: f.column,
        kind: f.kind,
        ratio: f.ratio,
        rows: batch.numRows,
        action: settings.on_detect,
      });
    }
    const list = findings.map((f) => `\`${f.column}\` (${Math.round(f.ratio * 100)}% ${f.kind})`).join(', ');
    if (settings.on_detect === 'quarantine') {
      logger.warn(
        `Quarantined a batch of ${batch.numRows} rows from source \`${source}\`: unclassified column(s) ${list} hold personal data.`,
      );
      continue;
    }
    throw new SluiceError(
      'POLICY_DENIED',
      `Source \`${source}\` returned unclassified, unmasked column(s) holding personal data: ${list}. Nothing of it was written. Classify the column in the policy and mask it, or leave it out of the query.`,
      { context: { source, findings } },
    );
  }
}
