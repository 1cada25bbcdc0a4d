// Throughput cost of the training-set output stages on a synthetic stream, against a baseline
// measured in the same process: the same batches encoded as JSON Lines with no stage.
//   npx vite-node bench/outputs/run.ts [--rows 1000000] [--near-rows 100000]
import { cpus } from 'node:os';
import { Field, Int64, makeData, RecordBatch, Schema, Struct, Utf8 } from 'apache-arrow';
import { jsonlEncoding } from '../../connectors/files/jsonl-sink.js';
import type { BatchStage } from '../../src/outputs/batch-stage.js';
import { Profiler } from '../../src/outputs/column-profile.js';
import { DedupStage } from '../../src/outputs/dedup-stage.js';
import { NearDedupStage } from '../../src/outputs/near-dedup-stage.js';
import { ReleaseGate } from '../../src/outputs/release-gate.js';
import { FractionSampleStage } from '../../src/outputs/sample-stage.js';
import { SplitAssigner } from '../../src/outputs/split-assigner.js';
import { selectedRows, takeRows } from '../../src/outputs/take-rows.js';
import { TextStage } from '../../src/outputs/text-stage.js';
import { compileWhere } from '../../src/outputs/where-predicate.js';
import { WhereStage } from '../../src/outputs/where-stage.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const ROWS = arg('rows', 1_000_000);
const NEAR_ROWS = arg('near-rows', 100_000);
const BATCH = 65_536;
const encoder = new TextEncoder();

function utf8(values: string[]) {
  const parts = values.map((v) => encoder.encode(v));
  const offsets = new Int32Array(values.length + 1);
  for (let i = 0; i < parts.length; i++) offsets[i + 1] = offsets[i]! + parts[i]!.length;
  const data = new Uint8Array(offsets[values.length]!);
  for (let i = 0; i < parts.length; i++) data.set(parts[i]!, offsets[i]!);
  return makeData({ type: new Utf8(), length: values.length, nullCount: 0, valueOffsets: offsets, data });
}

const schema = new Schema([
  new Field('id', new Int64(), false),
  new Field('customer_token', new Utf8(), false),
  new Field('body', new Utf8(), false),
]);

/** Tickets: 1 in 20 bodies repeats an earlier one exactly; customers have 10 tickets each. */
function makeBatches(rows: number): RecordBatch[] {
  const out: RecordBatch[] = [];
  for (let from = 0; from < rows; from += BATCH) {
    const n = Math.min(BATCH, rows - from);
    const ids = new BigInt64Array(n);
    const customers: string[] = [];
    const bodies: string[] = [];
    for (let k = 0; k < n; k++) {
      const i = from + k;
      ids[k] = BigInt(i);
      customers.push(
        `c${(Math.imul(i % (rows / 10), 0x9e3779b1) >>> 0).toString(16).padStart(8, '0')}0123456789abcdef0123`,
      );
      const t = i % 20 === 0 ? i - 1000 : i;
      bodies.push(
        `Order ${t} arrived late; item ${t % 977} was missing and the courier left no note. Please advise.`,
      );
    }
    const children = [
      makeData({ type: new Int64(), length: n, nullCount: 0, data: ids }),
      utf8(customers),
      utf8(bodies),
    ];
    out.push(
      new RecordBatch(
        schema,
        makeData({ type: new Struct(schema.fields), length: n, nullCount: 0, children }),
      ),
    );
  }
  return out;
}

function time(fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function encodeAll(batches: RecordBatch[]): void {
  const encode = jsonlEncoding('bench').compile(schema);
  let bytes = 0;
  for (const b of batches) bytes += encode(b).length;
  if (bytes < 0) throw new Error('unreachable');
}

function through(batches: RecordBatch[], stages: BatchStage[]): RecordBatch[] {
  let current = batches;
  for (const s of stages) current = [...current.flatMap((b) => s.push(b)), ...s.flush()];
  return current;
}

const key = encoder.encode('bench-key-32-bytes..............');
function split(batches: RecordBatch[]): RecordBatch[] {
  const assigner = new SplitAssigner('customer_token', { train: 0.9, validation: 0.05, test: 0.05 }, key);
  const out: RecordBatch[] = [];
  for (const b of batches) {
    const parts = assigner.assign(b);
    for (let p = 0; p < 3; p++) {
      const keep = new Uint8Array(parts.length);
      for (let i = 0; i < parts.length; i++) keep[i] = parts[i] === p ? 1 : 0;
      out.push(takeRows(b, selectedRows(keep, parts.length)));
    }
  }
  return out;
}

const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const want = (name: string) => ONLY === undefined || name.startsWith(ONLY);

function measure(
  name: string,
  rows: number,
  batches: RecordBatch[],
  stage: (b: RecordBatch[]) => RecordBatch[],
) {
  if (!want(name)) return;
  encodeAll(batches); // warm-up
  const base = Math.min(
    time(() => encodeAll(batches)),
    time(() => encodeAll(batches)),
  );
  stage(batches);
  const withStage = Math.min(
    time(() => encodeAll(stage(batches))),
    time(() => encodeAll(stage(batches))),
  );
  const row = {
    variant: name,
    rows,
    baseline_rows_per_s: Math.round(rows / base),
    rows_per_s: Math.round(rows / withStage),
    ratio: Number((withStage / base).toFixed(2)),
  };
  console.log(JSON.stringify(row));
}

console.error(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model}, rows ${ROWS}`);
const batches = makeBatches(ROWS);
measure('split (HMAC-SHA256 of customer_token, 3 parts)', ROWS, batches, split);
measure('dedup exact (body)', ROWS, batches, (b) => through(b, [new DedupStage(['body'])]));
measure('dedup exact (all columns)', ROWS, batches, (b) =>
  through(b, [new DedupStage(['id', 'customer_token', 'body'])]),
);
const where = await compileWhere("length(body) > 80 AND id % 2 = 0 AND customer_token LIKE 'a%'", schema);
measure('where (length, arithmetic, LIKE)', ROWS, batches, (b) => through(b, [new WhereStage(where)]));
measure('sample fraction 0.1', ROWS, batches, (b) => through(b, [new FractionSampleStage(0.1, 1)]));
measure('text normalise + max_tokens 64', ROWS, batches, (b) =>
  through(b, [new TextStage({ columns: ['body'], normalize: true, maxTokens: 64, onTooLong: 'drop' })]),
);
measure('profile (3 columns)', ROWS, batches, (b) => {
  const p = new Profiler(schema);
  for (const x of b) p.add(x);
  p.result();
  return b;
});
measure('split + dedup + sample', ROWS, batches, (b) =>
  split(through(b, [new DedupStage(['body']), new FractionSampleStage(0.5, 1)])),
);
measure('release gate (PII scan of 2 text columns + k-anonymity over 1 column)', ROWS, batches, (b) => {
  const gate = new ReleaseGate(
    {
      quasi_identifiers: ['customer_token'],
      k_min: 5,
      max_pii_rate: 0,
      exempt_columns: [],
      on_fail: 'quarantine',
    },
    schema,
  );
  for (const x of b) gate.add(x);
  gate.report();
  return b;
});
const near = want('near') ? makeBatches(NEAR_ROWS) : [];
measure('near-dedup (MinHash 128, body ~100 chars)', NEAR_ROWS, near, (b) =>
  through(b, [new NearDedupStage('body', 0.8, 5)]),
);
