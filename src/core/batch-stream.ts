import type { RecordBatch } from 'apache-arrow';

/** Data moves as pulled Arrow record batches: nothing is read until downstream asks. */
export type BatchStream = AsyncIterable<RecordBatch>;
