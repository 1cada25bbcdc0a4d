import type { RecordBatch } from 'apache-arrow';

/** Rows a stage removed, and why; reported as a `rows_dropped` event. */
export interface DropCount {
  stage: string;
  reason: string;
  rows: number;
}

/**
 * One step of an output's training-set pipeline over immutable batches. `push` returns the
 * batches to pass on (possibly none); `flush` returns what a stage held back until the end.
 */
export interface BatchStage {
  push(batch: RecordBatch): RecordBatch[];
  flush(): RecordBatch[];
  /** What was dropped so far. */
  drops(): DropCount[];
}

/** Runs `stages` in order over a stream, as an `AsyncIterable` (for library users and tests). */
export async function* applyStages(
  stream: AsyncIterable<RecordBatch>,
  stages: BatchStage[],
): AsyncGenerator<RecordBatch> {
  const through = (batches: RecordBatch[], from: number): RecordBatch[] => {
    let current = batches;
    for (let s = from; s < stages.length; s++)
      current = current.flatMap((b) => (stages[s] as BatchStage).push(b));
    return current;
  };
  for await (const batch of stream) yield* through([batch], 0);
  for (let s = 0; s < stages.length; s++) yield* through((stages[s] as BatchStage).flush(), s + 1);
}
