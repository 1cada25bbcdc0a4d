import { RecordBatchReader, tableFromArrays, tableFromIPC, tableToIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { encodeSchema, IpcChunkWriter } from './ipc-chunk-writer.js';

describe('IpcChunkWriter', () => {
  it('produces the same bytes as a whole-table IPC stream, batch by batch', () => {
    const table = tableFromArrays({ a: Int32Array.from([1, 2, 3]), b: ['x', 'y', 'z'] });
    const writer = new IpcChunkWriter().begin(table.schema);
    const parts: Uint8Array[] = [...writer.take()];
    for (const batch of [...table.batches, ...table.batches]) {
      writer.write(batch);
      const chunks = writer.take();
      expect(chunks.length).toBeGreaterThan(0);
      parts.push(...chunks);
    }
    writer.finish();
    parts.push(...writer.take());
    const bytes = Buffer.concat(parts);
    expect(tableFromIPC(bytes).getChild('b')?.toArray()).toEqual(['x', 'y', 'z', 'x', 'y', 'z']);
    expect(Buffer.compare(bytes, Buffer.from(tableToIPC(table.concat(table), 'stream')))).toBe(0);
  });

  it('encodes a schema that a reader opens without batches', () => {
    const table = tableFromArrays({ a: Int32Array.from([1]), b: ['x'] });
    const reader = RecordBatchReader.from(encodeSchema(table.schema));
    reader.open();
    expect(reader.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(
      table.schema.fields.map((f) => `${f.name}:${f.type}`),
    );
    expect(reader.schema.fields[0]?.type.toString()).toBe('Int32');
    expect(reader.readAll().reduce((n, b) => n + b.numRows, 0)).toBe(0);
  });
});
