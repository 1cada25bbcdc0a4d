import type { RequestedMask } from './decision.js';
import type { DataClass, MaskSatisfier } from './policy-schema.js';

/** Whether a requested mask is the satisfier's mask with parameters inside its constraints. */
export function satisfies(satisfier: MaskSatisfier, requested: RequestedMask): boolean {
  if (satisfier.mask !== requested.mask) return false;
  for (const [key, value] of Object.entries(satisfier.params ?? {})) {
    if (requested.params[key] !== value) return false;
  }
  for (const [key, max] of Object.entries(satisfier.params_max ?? {})) {
    const value = requested.params[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || value > max) return false;
  }
  return true;
}

/** Whether the requested mask satisfies every class. */
export function satisfiesAll(classes: readonly DataClass[], requested: RequestedMask): boolean {
  return classes.every((c) => c.satisfied_by.some((s) => satisfies(s, requested)));
}

/**
 * The satisfiers of the first class that every other class also accepts (same mask, constraints
 * combined: exact parameters joined, maxima lowered). A conflict of exact parameters drops the mask.
 */
export function commonSatisfiers(classes: readonly DataClass[]): MaskSatisfier[] {
  const [first, ...others] = classes;
  if (first === undefined) return [];
  const out: MaskSatisfier[] = [];
  for (const candidate of first.satisfied_by) {
    let combined: MaskSatisfier | undefined = candidate;
    for (const other of others) {
      const match = other.satisfied_by.find((s) => s.mask === candidate.mask);
      combined = match === undefined || combined === undefined ? undefined : combine(combined, match);
    }
    if (combined !== undefined) out.push(combined);
  }
  return out;
}

function combine(a: MaskSatisfier, b: MaskSatisfier): MaskSatisfier | undefined {
  const params = { ...a.params };
  for (const [key, value] of Object.entries(b.params ?? {})) {
    if (key in params && params[key] !== value) return undefined;
    params[key] = value;
  }
  const max = { ...a.params_max };
  for (const [key, value] of Object.entries(b.params_max ?? {}))
    max[key] = Math.min(max[key] ?? value, value);
  const out: MaskSatisfier = { mask: a.mask };
  if (Object.keys(params).length > 0) out.params = params;
  if (Object.keys(max).length > 0) out.params_max = max;
  return out;
}

/** `` `partial` (keep_last at most 4) `` — mask names and policy constraints, never row values. */
export function formatSatisfier(satisfier: MaskSatisfier): string {
  const constraints = [
    ...Object.entries(satisfier.params ?? {}).map(([k, v]) => `${k}: ${String(v)}`),
    ...Object.entries(satisfier.params_max ?? {}).map(([k, v]) => `${k} at most ${v}`),
  ];
  return constraints.length === 0
    ? `\`${satisfier.mask}\``
    : `\`${satisfier.mask}\` (${constraints.join(', ')})`;
}
