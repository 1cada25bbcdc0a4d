import { Int32, Utf8 } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { createColumnBuilder } from './column-builder.js';
import { CopyBinaryDecoder, CopyStreamError } from './copy-binary-decoder.js';

function copyBytes(rows: [number | null, string | null][]): Buffer {
  const parts: Buffer[] = [Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)];
  for (const [n, s] of rows) {
    const head = Buffer.alloc(2);
    head.writeInt16BE(2);
    parts.push(head);
    const int = Buffer.alloc(n === null ? 4 : 8);
    int.writeInt32BE(n === null ? -1 : 4);
    if (n !== null) int.writeInt32BE(n, 4);
    parts.push(int);
    const len = Buffer.alloc(4);
    len.writeInt32BE(s === null ? -1 : Buffer.byteLength(s));
    parts.push(len, Buffer.from(s ?? ''));
  }
  parts.push(Buffer.from([0xff, 0xff]));
  return Buffer.concat(parts);
}

function decodeInChunks(bytes: Buffer, chunkSize: number, batchRows: number, capacity = batchRows) {
  const builders = [
    createColumnBuilder({ kind: 'int32', pgType: 'int4' }, new Int32(), capacity),
    createColumnBuilder({ kind: 'utf8', pgType: 'text' }, new Utf8(), capacity),
  ];
  const decoder = new CopyBinaryDecoder(builders);
  const batches: { ids: (number | null)[]; names: (string | null)[] }[] = [];
  const flush = () => {
    decoder.flush();
    const [ids, names] = builders.map((b) => b.finish());
    batches.push({
      ids: Array.from({ length: ids?.length ?? 0 }, (_, i) =>
        ids?.getValid(i) ? (ids.values[i] as number) : null,
      ),
      names: Array.from({ length: names?.length ?? 0 }, (_, i) =>
        names?.getValid(i)
          ? Buffer.from(names.values.subarray(names.valueOffsets[i], names.valueOffsets[i + 1])).toString()
          : null,
      ),
    });
    decoder.rows = 0;
  };
  for (let at = 0; at < bytes.length; at += chunkSize) {
    decoder.write(bytes.subarray(at, at + chunkSize), batchRows);
    while (decoder.rows >= batchRows) {
      flush();
      decoder.write(Buffer.alloc(0), batchRows);
    }
  }
  decoder.end();
  if (decoder.rows > 0) flush();
  expect(builders.map((b) => b.length)).toEqual([0, 0]);
  return batches;
}

describe('COPY binary decoding', () => {
  const rows: [number | null, string | null][] = [
    [1, 'a'],
    [null, 'ünïcode'],
    [3, null],
    [4, ''],
    [5, 'last'],
  ];

  it('decodes the same rows however the stream is split into chunks', () => {
    const bytes = copyBytes(rows);
    const expected = [
      { ids: [1, null], names: ['a', 'ünïcode'] },
      { ids: [3, 4], names: [null, ''] },
      { ids: [5], names: ['last'] },
    ];
    for (const chunk of [1, 2, 3, 7, 19, bytes.length]) {
      expect(decodeInChunks(bytes, chunk, 2), `chunk ${chunk}`).toEqual(expected);
    }
  });

  it('keeps every value and NULL across passes, growing buffers and batches (first NULL mid-byte)', () => {
    // More rows than one decoding pass, values long and short, the first NULL at row 11.
    const withNulls: [number | null, string | null][] = Array.from({ length: 3000 }, (_, i) => [
      i === 11 || i % 97 === 5 ? null : i,
      i === 2999 || i % 89 === 7 ? null : `${'é'.repeat(i % 75)}-${i}`,
    ]);
    // Without NULLs the text column takes its no-validity path.
    const without = withNulls.map(([, s], i): [number, string] => [i, s ?? 'ä'.repeat(i % 9)]);
    for (const [many, chunk, batchRows, capacity] of [
      [withNulls, 1 << 20, 5000, 8],
      [withNulls, 4096, 2500, 2500],
      [withNulls, 333, 1024, 16],
      [without, 1 << 20, 5000, 8],
      [without, 777, 1024, 16],
    ] as const) {
      const bytes = copyBytes([...many]);
      const batches = decodeInChunks(bytes, chunk, batchRows, capacity);
      expect(
        batches.flatMap((b) => b.ids),
        `chunk ${chunk}`,
      ).toEqual(many.map((r) => r[0]));
      expect(
        batches.flatMap((b) => b.names),
        `chunk ${chunk}`,
      ).toEqual(many.map((r) => r[1]));
      expect(batches.map((b) => b.ids.length)).toEqual(
        Array.from({ length: Math.ceil(3000 / batchRows) }, (_, i) =>
          Math.min(batchRows, 3000 - i * batchRows),
        ),
      );
    }
  });

  it('rejects a stream that ends before its trailer', () => {
    const bytes = copyBytes(rows);
    expect(() => decodeInChunks(bytes.subarray(0, bytes.length - 2), 64, 10)).toThrow(CopyStreamError);
  });
});
