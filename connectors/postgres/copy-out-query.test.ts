import { EventEmitter } from 'node:events';
import { Int32, Utf8 } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { createColumnBuilder } from './column-builder.js';
import { CopyBinaryDecoder } from './copy-binary-decoder.js';
import { CopyOutQuery } from './copy-out-query.js';

function message(code: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(code, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

function tuple(id: number, name: string | null): Buffer {
  const text = name === null ? Buffer.alloc(0) : Buffer.from(name);
  const out = Buffer.alloc(2 + 8 + 4 + text.length);
  out.writeInt16BE(2, 0);
  out.writeInt32BE(4, 2);
  out.writeInt32BE(id, 6);
  out.writeInt32BE(name === null ? -1 : text.length, 10);
  text.copy(out, 14);
  return out;
}

const COPY_HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
const TRAILER = Buffer.from([0xff, 0xff]);
// What pg's own parser must receive once the COPY data ends.
const COMMAND_COMPLETE = message('C', Buffer.from('COPY 9\0'));
const READY = message('Z', Buffer.from('I'));

/** The server's side of `COPY ... TO STDOUT (FORMAT binary)`: one CopyData per row, as PostgreSQL sends it. */
function serverBytes(rows: [number, string | null][], interrupt?: Buffer): Buffer {
  const parts = [message('H', Buffer.from([1, 0, 2, 0, 1, 0, 1]))];
  rows.forEach(([id, name], i) => {
    parts.push(message('d', i === 0 ? Buffer.concat([COPY_HEADER, tuple(id, name)]) : tuple(id, name)));
    // Servers may send notices and parameter changes between rows.
    if (i === 2) parts.push(message('N', Buffer.from('SNOTICE\0Mhello\0\0')));
    if (i === 4) parts.push(message('S', Buffer.from('TimeZone\0UTC\0')));
    if (i === 6 && interrupt) parts.push(interrupt);
  });
  parts.push(message('d', TRAILER), message('c', Buffer.alloc(0)), COMMAND_COMPLETE, READY);
  return Buffer.concat(parts);
}

class FakeSocket extends EventEmitter {
  paused = false;
  pause() {
    this.paused = true;
  }
  resume() {
    this.paused = false;
  }
}

/** Runs a CopyOutQuery over `bytes` arriving in `chunkSize` pieces; pg's side is played by `onPg`. */
async function readCopy(bytes: Buffer, chunkSize: number, batchRows: number, failOnError = false) {
  const socket = new FakeSocket();
  let handedBack = Buffer.alloc(0);
  const copy = new CopyOutQuery('COPY t TO STDOUT (FORMAT binary)');
  socket.on('data', (chunk: Buffer) => {
    handedBack = Buffer.concat([handedBack, chunk]);
    if (failOnError && handedBack[0] === 0x45) copy.handleError(new Error('server error'));
    if (handedBack.subarray(-READY.length).equals(READY)) copy.handleReadyForQuery();
  });
  copy.submit({ stream: socket as never, query: () => {} });
  for (let at = 0; at < bytes.length; at += chunkSize)
    socket.emit('data', bytes.subarray(at, at + chunkSize));

  const builders = [
    createColumnBuilder({ kind: 'int32', pgType: 'int4' }, new Int32(), batchRows),
    createColumnBuilder({ kind: 'utf8', pgType: 'text' }, new Utf8(), batchRows),
  ];
  const decoder = new CopyBinaryDecoder(builders);
  const ids: number[] = [];
  const names: (string | null)[] = [];
  const flush = (length: number) => {
    decoder.flush();
    const [id, name] = builders.map((b) => b.finish());
    for (let i = 0; i < length; i++) {
      ids.push(id?.values[i] as number);
      names.push(
        name?.getValid(i)
          ? Buffer.from(name.values.subarray(name.valueOffsets[i], name.valueOffsets[i + 1])).toString()
          : null,
      );
    }
    decoder.rows = 0;
  };
  const sink = (buf: Buffer, start: number, end: number) => {
    decoder.write(buf, batchRows, start, end);
    return decoder.rows < batchRows;
  };
  let error: unknown;
  try {
    for (;;) {
      const more = await copy.read(sink);
      while (decoder.rows >= batchRows) {
        flush(batchRows);
        decoder.write(Buffer.alloc(0), batchRows);
      }
      if (!more) break;
    }
    decoder.end();
    if (decoder.rows > 0) flush(decoder.rows);
  } catch (err) {
    error = err;
  }
  return { ids, names, handedBack, error, socket };
}

const ROWS: [number, string | null][] = [
  [1, 'a'],
  [2, 'ünïcode'],
  [3, null],
  [4, ''],
  [5, 'five'],
  [6, 'six'],
  [7, 'seven'],
  [8, 'x'.repeat(300)],
  [9, 'last'],
];

describe('COPY OUT read off the socket', () => {
  it('decodes every row and hands pg exactly what follows the data, however the bytes are split', async () => {
    const bytes = serverBytes(ROWS);
    for (const chunk of [1, 2, 3, 4, 5, 6, 7, 11, 19, 64, bytes.length]) {
      const { ids, names, handedBack, error } = await readCopy(bytes, chunk, 2);
      expect(error, `chunk ${chunk}`).toBeUndefined();
      expect(ids, `chunk ${chunk}`).toEqual(ROWS.map((r) => r[0]));
      expect(names, `chunk ${chunk}`).toEqual(ROWS.map((r) => r[1]));
      expect(handedBack, `chunk ${chunk}`).toEqual(
        Buffer.concat([message('c', Buffer.alloc(0)), COMMAND_COMPLETE, READY]),
      );
    }
  });

  it('hands a server error to pg and fails the read with it', async () => {
    const error = message('E', Buffer.from('SERROR\0C22012\0Mdivision by zero\0\0'));
    const bytes = serverBytes(ROWS, error);
    for (const chunk of [1, 3, 5, 64, bytes.length]) {
      const result = await readCopy(bytes, chunk, 100, true);
      expect((result.error as Error | undefined)?.message, `chunk ${chunk}`).toBe('server error');
      expect(result.handedBack.subarray(0, error.length), `chunk ${chunk}`).toEqual(error);
    }
  });

  it('pauses the socket while the consumer is behind, and resumes it as the data is read', async () => {
    const rows: [number, string | null][] = Array.from({ length: 20_000 }, (_, i) => [i, 'y'.repeat(300)]);
    const bytes = serverBytes(rows);
    const socket = new FakeSocket();
    const copy = new CopyOutQuery('COPY t TO STDOUT (FORMAT binary)');
    socket.on('data', () => copy.handleReadyForQuery());
    copy.submit({ stream: socket as never, query: () => {} });
    for (let at = 0; at < bytes.length; at += 65_536) socket.emit('data', bytes.subarray(at, at + 65_536));
    expect(socket.paused).toBe(true);
    // A consumer that takes 1 MiB at a time: the socket stays paused until little is left.
    const pausedAfter: boolean[] = [];
    let delivered = 0;
    for (;;) {
      const more = await copy.read((_buf, start, end) => {
        delivered += end - start;
        return delivered < 1 << 20;
      });
      delivered = 0;
      pausedAfter.push(socket.paused);
      if (!more) break;
    }
    expect(pausedAfter.slice(0, 4)).toEqual([true, true, true, true]);
    expect(socket.paused).toBe(false);
  });
});
