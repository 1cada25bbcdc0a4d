import { createReadStream } from 'node:fs';

export interface FileLine {
  /** 1-based line number. */
  number: number;
  /** The line without its `\n`; null when the bytes are not valid UTF-8. */
  text: string | null;
  /** False for a last line that has no `\n` (a torn write or a truncation). */
  terminated: boolean;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Lines of a file split on `\n` only (a `\r` stays in the line, so CRLF rewriting is visible).
 * Streams the file; memory is bounded by the longest line.
 */
export async function* readLines(path: string, signal?: AbortSignal): AsyncGenerator<FileLine> {
  const stream = createReadStream(path, signal === undefined ? {} : { signal });
  let pending: Buffer[] = [];
  let number = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = 0;
      for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, start)) {
        pending.push(chunk.subarray(start, i));
        number += 1;
        yield { number, text: decode(Buffer.concat(pending)), terminated: true };
        pending = [];
        start = i + 1;
      }
      if (start < chunk.length) pending.push(chunk.subarray(start));
    }
    if (pending.length > 0) {
      number += 1;
      yield { number, text: decode(Buffer.concat(pending)), terminated: false };
    }
  } finally {
    stream.destroy();
  }
}

function decode(bytes: Uint8Array): string | null {
  try {
    return decoder.decode(bytes);
  } catch {
    return null;
  }
}
