import type { DataType, Field, RecordBatch, Vector } from 'apache-arrow';
import type { BatchStream } from './batch-stream.js';

/**
 * A kernel masks one column vector and returns a new vector of the same length. Pure. `batch` is the
 * unmasked input batch the vector comes from, for masks that read another column (declared in
 * `MaskDefinition.inputColumns`, e.g. `date_shift`'s entity column).
 */
export type MaskKernel = (vector: Vector, field: Field, batch?: RecordBatch) => Vector;

/** What a mask guarantees; the policy uses it to decide whether a mask satisfies a class. */
export interface MaskProperties {
  /** Someone with the key can recover the original value. */
  reversible: boolean;
  /** The same input gives the same output (for the same key). */
  deterministic: boolean;
  /** The mask needs a key from the key ring. */
  keyed: boolean;
}

/** A table-level transform over a batch stream, pulled like every stage. */
export interface Transform {
  apply(input: BatchStream, signal: AbortSignal): BatchStream;
}

export type { DataType };
