import { type Data, DataType, type Timestamp } from 'apache-arrow';

/** How a date or timestamp column stores time: 32-bit days, or 64-bit counts of a unit. */
export interface TemporalLayout {
  /** Values per day (1 for `DateDay`). */
  perDay: bigint;
  kind: 'days' | 'int64';
  /** Milliseconds = value × msMul / msDiv. */
  msMul: bigint;
  msDiv: bigint;
}

const DAY_MS = 86_400_000n;

/** The layout of a date or timestamp type, or undefined for other types. */
export function temporalLayout(type: DataType): TemporalLayout | undefined {
  if (DataType.isDate(type)) {
    return type.unit === 0
      ? { kind: 'days', perDay: 1n, msMul: DAY_MS, msDiv: 1n }
      : { kind: 'int64', perDay: DAY_MS, msMul: 1n, msDiv: 1n };
  }
  if (DataType.isTimestamp(type)) {
    const unit = (type as Timestamp).unit;
    const perMs = [0n, 1n, 1_000n, 1_000_000n][unit]!;
    return unit === 0
      ? { kind: 'int64', perDay: 86_400n, msMul: 1_000n, msDiv: 1n }
      : { kind: 'int64', perDay: DAY_MS * perMs, msMul: 1n, msDiv: perMs };
  }
  return undefined;
}

/** Milliseconds since the epoch of value `i` (floor for sub-millisecond units). */
export function toMillis(data: Data, layout: TemporalLayout, i: number): number {
  if (layout.kind === 'days') return (data.values as Int32Array)[i]! * 86_400_000;
  const v = (data.values as BigInt64Array)[i]!;
  const scaled = v * layout.msMul;
  const q = scaled / layout.msDiv;
  return Number(scaled < 0n && q * layout.msDiv !== scaled ? q - 1n : q);
}

/** The stored value for `ms` milliseconds since the epoch. */
export function fromMillis(ms: number, layout: TemporalLayout): bigint {
  return (BigInt(ms) * layout.msDiv) / layout.msMul;
}

/** Whole years from `birth` to `asOf` (both ms since epoch, UTC calendar). */
export function fullYears(birth: number, asOf: number): number {
  const b = new Date(birth);
  const a = new Date(asOf);
  let years = a.getUTCFullYear() - b.getUTCFullYear();
  if (
    a.getUTCMonth() < b.getUTCMonth() ||
    (a.getUTCMonth() === b.getUTCMonth() && a.getUTCDate() < b.getUTCDate())
  ) {
    years--;
  }
  return years;
}

/** Truncates `ms` (UTC) to the start of its year, month, ISO week (Monday) or day. */
export function truncateMillis(ms: number, unit: 'year' | 'month' | 'week' | 'day'): number {
  const day = Math.floor(ms / 86_400_000) * 86_400_000;
  if (unit === 'day') return day;
  if (unit === 'week') {
    // 1970-01-01 was a Thursday: Monday-based weekday = (days + 3) mod 7.
    const days = day / 86_400_000;
    return (days - ((((days + 3) % 7) + 7) % 7)) * 86_400_000;
  }
  const d = new Date(ms);
  return unit === 'year'
    ? Date.UTC(d.getUTCFullYear(), 0, 1)
    : Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}
