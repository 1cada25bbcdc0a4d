import { type Data, DataType, type Vector } from 'apache-arrow';
import { detectInText } from './detect-in-text.js';
import { PII_KINDS, type PiiKind } from './pii-kind.js';
import { prefilter } from './prefilter.js';

/** How many values of a vector contain each kind of entity. */
export interface ValueClassification {
  /** Non-null string values looked at. */
  values: number;
  /** Per kind, the share of those values containing at least one entity of that kind (0..1). */
  ratios: Partial<Record<PiiKind, number>>;
  /** Per kind, the share of values that are entirely one entity (e.g. an email column). */
  whole: Partial<Record<PiiKind, number>>;
}

function eachText(data: Data, limit: number, visit: (text: string, groups: number) => void): number {
  const src = data.values as Uint8Array;
  const offsets = data.valueOffsets as Int32Array;
  const at = (i: number): number => src[i] ?? 0;
  const decoder = new TextDecoder();
  let seen = 0;
  for (let i = 0; i < data.length && seen < limit; i++) {
    if (!data.getValid(i)) continue;
    seen++;
    const start = offsets[i]!;
    const end = offsets[i + 1]!;
    const groups = prefilter(at, start, end);
    if (groups !== 0) visit(decoder.decode(src.subarray(start, end)).trim(), groups);
  }
  return seen;
}

/**
 * Runs the value detectors over the strings of `vector` (up to `limit` non-null values) and returns
 * match ratios per kind. Non-string vectors give zero values. Never returns a value.
 */
export function classifyValues(vector: Vector, limit = Number.POSITIVE_INFINITY): ValueClassification {
  const hits = new Map<PiiKind, number>();
  const whole = new Map<PiiKind, number>();
  let values = 0;
  for (const data of vector.data) {
    if (!DataType.isUtf8(data.type)) continue;
    values += eachText(data, limit - values, (text, groups) => {
      const spans = detectInText(text, undefined, groups);
      const kinds = new Set(spans.map((s) => s.kind));
      for (const k of kinds) hits.set(k, (hits.get(k) ?? 0) + 1);
      if (spans.length === 1 && spans[0]!.start === 0 && spans[0]!.end === text.length) {
        whole.set(spans[0]!.kind, (whole.get(spans[0]!.kind) ?? 0) + 1);
      }
    });
  }
  const ratios: Partial<Record<PiiKind, number>> = {};
  const wholeRatios: Partial<Record<PiiKind, number>> = {};
  for (const k of PII_KINDS) {
    if (hits.has(k)) ratios[k] = hits.get(k)! / values;
    if (whole.has(k)) wholeRatios[k] = whole.get(k)! / values;
  }
  return { values, ratios, whole: wholeRatios };
}
