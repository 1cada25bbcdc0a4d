import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  commitFile,
  fsyncPath,
  removeQuietly,
  SluiceError,
  type StagedFile,
  stagedPathFor,
} from '../../src/index.js';
import { writeFailure } from './errors.js';

/**
 * A file written under its staged name (`stagedPathFor`) beside the final path, with
 * backpressure, then renamed into place by `commit`.
 */
export class StagedFileWriter {
  readonly path: string;
  readonly tempPath: string;
  #stream: WriteStream | undefined;
  #error: Error | undefined;
  #finished = false;

  constructor(path: string, runId: string) {
    this.path = path;
    this.tempPath = stagedPathFor(path, runId);
  }

  async open(): Promise<void> {
    try {
      await mkdir(dirname(this.path), { recursive: true });
      const stream = createWriteStream(this.tempPath, { flags: 'w' });
      stream.on('error', (err) => {
        this.#error = err;
      });
      await once(stream, 'open');
      this.#stream = stream;
    } catch (err) {
      throw writeFailure(err);
    }
  }

  /** Writes `chunk`; resolves once the stream can take more (awaiting `drain` when full). */
  async write(chunk: string | Uint8Array): Promise<void> {
    const stream = this.#live();
    if (!stream.write(chunk)) {
      try {
        await once(stream, 'drain');
      } catch (err) {
        throw writeFailure(err);
      }
    }
    if (this.#error) throw writeFailure(this.#error);
  }

  /** Flushes, closes and fsyncs the staged file. */
  async finish(rows: number): Promise<StagedFile> {
    const stream = this.#live();
    try {
      stream.end();
      await once(stream, 'close');
      if (this.#error) throw this.#error;
      await fsyncPath(this.tempPath);
    } catch (err) {
      throw writeFailure(err);
    }
    this.#finished = true;
    return { tempPath: this.tempPath, path: this.path, rows };
  }

  async commit(): Promise<void> {
    if (!this.#finished) throw new SluiceError('INTERNAL', `Commit of \`${this.path}\` before finish.`);
    try {
      await commitFile(this.tempPath, this.path);
    } catch (err) {
      throw writeFailure(err);
    }
  }

  /** Removes the staged file; safe to call more than once. */
  async abort(): Promise<void> {
    const stream = this.#stream;
    this.#stream = undefined;
    if (stream && !stream.closed) {
      stream.destroy();
      await once(stream, 'close').catch(() => undefined);
    }
    await removeQuietly(this.tempPath);
  }

  #live(): WriteStream {
    if (this.#error) throw writeFailure(this.#error);
    if (!this.#stream) throw new SluiceError('INTERNAL', `Write to \`${this.path}\` before open.`);
    return this.#stream;
  }
}
