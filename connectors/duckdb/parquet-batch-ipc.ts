import {
  RecordBatch as ArrowRecordBatch,
  Table as ArrowTable,
  type RecordBatch,
  RecordBatchStreamWriter,
  type Schema,
  tableToIPC,
} from 'apache-arrow';

/**
 * `batch` as an Arrow IPC stream (schema message + one record batch) in a buffer of its own, so
 * it can be transferred to a worker without copying. `schema` is the output's schema: batches
 * keep its field names and metadata.
 */
export function batchToIpc(batch: RecordBatch, schema: Schema): Uint8Array {
  const ipc = RecordBatchStreamWriter.writeAll([new ArrowRecordBatch(schema, batch.data)]).toUint8Array(true);
  return ownsBuffer(ipc) ? ipc : ipc.slice();
}

/** An Arrow IPC stream with `schema` and no batch. */
export function schemaToIpc(schema: Schema): Uint8Array {
  const ipc = tableToIPC(new ArrowTable(schema), 'stream');
  return ownsBuffer(ipc) ? ipc : ipc.slice();
}

// Transferring a view's buffer would detach whatever else shares it (e.g. Node's Buffer pool).
function ownsBuffer(bytes: Uint8Array): boolean {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
}
