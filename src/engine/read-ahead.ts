import { throwIfAborted } from '../core/errors.js';

/**
 * Pulls up to `capacity` items ahead of the consumer so reading overlaps downstream work. The
 * buffer is bounded: when it is full the producer is not pulled again until the consumer takes
 * an item. Stopping early (break, throw, abort) returns the source iterator, closing it.
 */
export async function* readAhead<T>(
  source: AsyncIterable<T>,
  capacity: number,
  signal: AbortSignal,
): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  const pending: Promise<IteratorResult<T>>[] = [];
  let done = false;
  const fill = () => {
    while (!done && pending.length < capacity) {
      const next = iterator.next();
      pending.push(next);
      // Mark the end as soon as it is seen so no further pulls are scheduled past it.
      next.then(
        (r) => {
          if (r.done) done = true;
        },
        () => {
          done = true;
        },
      );
    }
  };
  let finished = false;
  try {
    fill();
    while (pending.length > 0) {
      throwIfAborted(signal);
      const result = await (pending.shift() as Promise<IteratorResult<T>>);
      if (result.done) {
        finished = true;
        return;
      }
      fill();
      yield result.value;
    }
    finished = true;
  } finally {
    if (!finished) {
      // Let already-started pulls settle before closing the source, so it is not closed mid-read.
      await Promise.allSettled(pending);
      await iterator.return?.();
    }
  }
}
