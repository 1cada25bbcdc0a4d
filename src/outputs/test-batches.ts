import {
  type DataType,
  Field,
  Int64,
  makeBuilder,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Utf8,
} from 'apache-arrow';

/** A batch from plain column values (tests and benchmarks only). */
export function batchOf(columns: Record<string, { type: DataType; values: unknown[] }>): RecordBatch {
  const fields = Object.entries(columns).map(([name, c]) => new Field(name, c.type, true));
  const children = Object.values(columns).map((c) => {
    const b = makeBuilder({ type: c.type, nullValues: [null] });
    for (const v of c.values) b.append(v);
    return b.finish().flush();
  });
  const length = children[0]?.length ?? 0;
  return new RecordBatch(
    new Schema(fields),
    makeData({ type: new Struct(fields), length, nullCount: 0, children }),
  );
}

/** `n` rows of `{ id: Int64, customer: Utf8, text: Utf8 }` with ids from `from`; customers repeat every `customers` rows. */
export function ticketBatch(from: number, n: number, customers = 1000): RecordBatch {
  const ids: bigint[] = [];
  const cust: string[] = [];
  const text: string[] = [];
  for (let i = from; i < from + n; i++) {
    ids.push(BigInt(i));
    cust.push(`c${i % customers}`);
    text.push(`ticket ${i % 97} about order ${i % 13}`);
  }
  return batchOf({
    id: { type: new Int64(), values: ids },
    customer: { type: new Utf8(), values: cust },
    text: { type: new Utf8(), values: text },
  });
}

/** The values of one column as plain JS values. */
export function columnValues(batch: RecordBatch, name: string): unknown[] {
  return [...(batch.getChild(name) ?? [])];
}
