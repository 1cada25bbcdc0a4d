import { createHash } from 'node:crypto';
import { Field, Utf8, vectorFromArray } from 'apache-arrow';
import type { ComponentContext } from '../core/context.js';
import { SluiceError } from '../core/errors.js';
import { EventBus } from '../core/events.js';
import type { KeyRing } from '../core/key-ring.js';
import { silentLogger } from '../core/logger.js';
import { createSecretResolver } from '../core/secrets.js';
import { fpeConfigSchema, fpeMask } from '../transforms/fpe-mask.js';
import { hmacConfigSchema, hmacMask } from '../transforms/hmac-mask.js';
import type { UsedMask } from './column-usage.js';
import type { SubjectMatch } from './usage-store.js';

/** How a data subject's value is looked for in one dataset column. */
export type SubjectPlan =
  | { method: 'token'; match: SubjectMatch; mask: string; key_id: string }
  | { method: 'raw'; match: SubjectMatch }
  | { method: 'not_identifiable'; mask: string; reason: string }
  /** A mask combination Sluice cannot recompute: the dataset must be checked another way. */
  | { method: 'unsupported'; mask: string; reason: string };

/** Masks whose output cannot be linked back to one value without more than the key. */
const NOT_IDENTIFIABLE: Record<string, string> = {
  redact: 'every value is replaced by the same text',
  null: 'every value is replaced by null',
  partial: 'only part of the value is kept',
  generalize: 'values are generalized to ranges or buckets',
  noise: 'values carry random noise',
  date_shift: 'dates are shifted',
  fake: 'values are replaced by fake ones',
};

/**
 * How to find `value` in a column that derives from `sourceColumn` through `masks`: the token the
 * mask would have produced under the same key id and parameters (`hmac`, `fpe`, `redact_pii` with
 * `replace: hmac`), the raw value's SHA-256 for an unmasked column, or not identifiable. The
 * value is held in memory only; errors never include it.
 */
export async function planSubjectSearch(
  masks: UsedMask[],
  sourceColumn: string,
  value: string,
  keys: KeyRing,
): Promise<SubjectPlan> {
  if (masks.length === 0) return { method: 'raw', match: { kind: 'sha256', hex: sha256Hex(value) } };
  if (masks.length > 1) {
    return {
      method: 'unsupported',
      mask: masks.map((m) => m.mask).join('+'),
      reason: 'several masks were chained on the column; searching through a chain is not supported',
    };
  }
  const used = masks[0] as UsedMask;
  const keyId = used.key_id ?? '';
  switch (used.mask) {
    case 'hmac': {
      const config = parseParams(hmacConfigSchema, { ...used.params, mask: 'hmac', key_id: keyId }, used);
      const token = await runKernel(await hmacMask.create(config, context(keys)), sourceColumn, value);
      return { method: 'token', match: { kind: 'equals', text: token }, mask: 'hmac', key_id: keyId };
    }
    case 'fpe': {
      const config = parseParams(fpeConfigSchema, { ...used.params, mask: 'fpe', key_id: keyId }, used);
      const token = await runKernel(await fpeMask.create(config, context(keys)), sourceColumn, value);
      return { method: 'token', match: { kind: 'equals', text: token }, mask: 'fpe', key_id: keyId };
    }
    case 'redact_pii': {
      if (used.params.replace !== 'hmac' || used.key_id === null) {
        return {
          method: 'not_identifiable',
          mask: 'redact_pii',
          reason: 'found values are replaced by labels',
        };
      }
      // The same token the `hmac` mask gives the found text, as hex of `token_length` characters.
      const length = typeof used.params.token_length === 'number' ? used.params.token_length : 32;
      const config = hmacConfigSchema.parse({ mask: 'hmac', key_id: keyId, output: 'hex', length });
      const token = await runKernel(await hmacMask.create(config, context(keys)), sourceColumn, value);
      return { method: 'token', match: { kind: 'contains', text: token }, mask: 'redact_pii', key_id: keyId };
    }
    default: {
      const reason = NOT_IDENTIFIABLE[used.mask];
      return reason === undefined
        ? {
            method: 'unsupported',
            mask: used.mask,
            reason: `mask \`${used.mask}\` has no token Sluice can recompute`,
          }
        : { method: 'not_identifiable', mask: used.mask, reason };
    }
  }
}

/** SHA-256 of the value's UTF-8 bytes, as hex. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

function parseParams<T>(
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } },
  raw: unknown,
  used: UsedMask,
): T {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new SluiceError(
      'INTEGRITY_FAILED',
      `The manifest's parameters of mask \`${used.mask}\` (key id \`${used.key_id ?? ''}\`) are not valid for this version of Sluice, so the token cannot be recomputed. Re-index the manifest, or check it with \`pipeline manifest verify\`.`,
      { context: { mask: used.mask } },
    );
  }
  return parsed.data;
}

async function runKernel(
  kernel: Awaited<ReturnType<typeof hmacMask.create>>,
  sourceColumn: string,
  value: string,
): Promise<string> {
  const vector = vectorFromArray([value], new Utf8());
  let out: unknown;
  try {
    out = kernel(vector, new Field(sourceColumn, new Utf8(), true)).get(0);
  } catch (cause) {
    // The mask's own message may quote the value's length or form: keep only its code.
    const code = cause instanceof SluiceError ? cause.code : 'INTERNAL';
    throw new SluiceError(
      code,
      `The value cannot be tokenized the way column \`${sourceColumn}\` was (error ${code}); it cannot be in that dataset column.`,
      { context: { column: sourceColumn } },
    );
  }
  return String(out);
}

function context(keys: KeyRing): ComponentContext {
  return {
    runId: 'usage',
    events: new EventBus('usage'),
    logger: silentLogger,
    baseDir: '.',
    secrets: createSecretResolver('.', {}),
    keys,
    tempDir: '.',
  };
}
