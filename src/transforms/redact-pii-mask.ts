import { type Data, DataType } from 'apache-arrow';
import { z } from 'zod';
import type { MaskDefinition } from '../core/component-definition.js';
import { detectInText } from '../detect/detect-in-text.js';
import { PII_LABELS, type PiiKind } from '../detect/pii-kind.js';
import { prefilter } from '../detect/prefilter.js';
import { ByteWriter } from './byte-writer.js';
import { flatData } from './flat-data.js';
import { HmacSha256 } from './hmac-sha256.js';
import { mapChunks } from './map-chunks.js';
import { MAX_HEX_LENGTH, writeHex } from './token-encoding.js';
import { unsupportedTypeError } from './unsupported-type-error.js';
import { rebasedValidity } from './validity.js';

const KINDS = ['email', 'phone', 'card', 'iban', 'ssn', 'ip', 'secret'] as const;

export const redactPiiConfigSchema = z
  .strictObject({
    mask: z
      .literal('redact_pii')
      .describe(
        'Finds personal data and secrets inside free text and replaces each one inline, keeping the rest.',
      ),
    replace: z
      .enum(['label', 'hmac'])
      .default('label')
      .describe(
        "`label` writes `[EMAIL]`, `[PHONE]`, `[CARD]`, `[IBAN]`, `[SSN]`, `[IP]` or `[SECRET]`; `hmac` writes the hex HMAC-SHA256 token of the found text (needs `key_id`), equal to the `hmac` mask's token of that text.",
      ),
    key_id: z.string().min(1).optional().describe('Id of the key in the key ring, for `replace: hmac`.'),
    token_length: z
      .int()
      .min(16)
      .max(MAX_HEX_LENGTH)
      .default(32)
      .describe("Hex characters of each token with `replace: hmac` (as the `hmac` mask's `length`)."),
    kinds: z
      .array(z.enum(KINDS))
      .min(1)
      .optional()
      .describe('Only these kinds are replaced (default: all). `ip` covers IPv4 and IPv6.'),
  })
  .superRefine((config, ctx) => {
    if (config.replace === 'hmac' && config.key_id === undefined) {
      ctx.addIssue({ code: 'custom', path: ['key_id'], message: '`replace: hmac` needs a `key_id`.' });
    }
  })
  .describe(
    'Replace emails, phones, cards, IBANs, SSNs, IPs and secrets found in free text by labels or tokens.',
  );

export type RedactPiiConfig = z.infer<typeof redactPiiConfigSchema>;

const ACCEPTS = '`Utf8` strings';

/** How `redactPiiData` replaces what it finds. */
export interface RedactPiiPlan {
  kinds: ReadonlySet<PiiKind> | undefined;
  /** Set for `replace: hmac`. */
  mac: HmacSha256 | undefined;
  tokenLength: number;
}

export function redactPiiPlan(config: RedactPiiConfig, key?: Uint8Array): RedactPiiPlan {
  const kinds = config.kinds?.flatMap((k): PiiKind[] => (k === 'ip' ? ['ipv4', 'ipv6'] : [k]));
  return {
    kinds: kinds ? new Set(kinds) : undefined,
    mac: config.replace === 'hmac' && key ? new HmacSha256(key) : undefined,
    tokenLength: config.token_length,
  };
}

const LABELS = Object.fromEntries(
  Object.entries(PII_LABELS).map(([k, v]) => [k, new TextEncoder().encode(v)]),
) as Record<PiiKind, Uint8Array>;

/** Replaces the entities found in every value of one chunk. Exported for benchmarks and tests. */
export function redactPiiData(data: Data, plan: RedactPiiPlan): Data {
  const { type, length } = data;
  if (!DataType.isUtf8(type)) throw unsupportedTypeError('redact_pii', type, ACCEPTS);
  const src = data.values as Uint8Array;
  const srcOffsets = data.valueOffsets as Int32Array;
  const nullBitmap = rebasedValidity(data);
  const nullCount = nullBitmap ? data.nullCount : 0;
  const out = new ByteWriter(srcOffsets[length]! - srcOffsets[0]! + 16);
  const offsets = new Int32Array(length + 1);
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  const at = (i: number): number => src[i] ?? 0;
  const token = new Uint8Array(plan.tokenLength);
  const emit = (text: string): void => {
    out.reserve(text.length * 3);
    out.pos += encoder.encodeInto(text, out.bytes.subarray(out.pos)).written;
  };
  for (let i = 0; i < length; i++) {
    if (!nullBitmap || (nullBitmap[i >> 3]! >> (i & 7)) & 1) {
      const start = srcOffsets[i]!;
      const end = srcOffsets[i + 1]!;
      const groups = prefilter(at, start, end);
      const text = groups === 0 ? '' : decoder.decode(src.subarray(start, end));
      const spans = groups === 0 ? [] : detectInText(text, plan.kinds, groups);
      if (spans.length === 0) out.writeRange(src, start, end);
      else {
        let last = 0;
        for (const span of spans) {
          emit(text.slice(last, span.start));
          if (plan.mac) {
            const bytes = encoder.encode(text.slice(span.start, span.end));
            plan.mac.update(bytes, 0, bytes.length);
            writeHex(plan.mac.out, token, 0, plan.tokenLength);
            out.write(token);
          } else out.write(LABELS[span.kind]);
          last = span.end;
        }
        emit(text.slice(last));
      }
    }
    offsets[i + 1] = out.pos;
  }
  return flatData(type, length, nullCount, nullBitmap, out.finish(), offsets);
}

/** `redact_pii`: inline replacement of detected entities in free text. */
export const redactPiiMask: MaskDefinition<RedactPiiConfig> = {
  kind: 'mask',
  type: 'redact_pii',
  description:
    'Detect emails, phones, card numbers, IBANs, SSNs, IPs and secrets in free text and replace each inline by a label or an HMAC token.',
  configSchema: redactPiiConfigSchema,
  properties: (config) => ({ reversible: false, deterministic: true, keyed: config.replace === 'hmac' }),
  outputType(input) {
    if (!DataType.isUtf8(input)) throw unsupportedTypeError('redact_pii', input, ACCEPTS);
    return input;
  },
  keyId(config) {
    return config.replace === 'hmac' ? config.key_id : undefined;
  },
  async create(config, ctx) {
    const key = config.replace === 'hmac' ? await ctx.keys.get(config.key_id!) : undefined;
    const plan = redactPiiPlan(config, key);
    return (vector) => mapChunks(vector, (data) => redactPiiData(data, plan));
  },
};
