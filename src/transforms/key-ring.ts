import { inspect } from 'node:util';
import { z } from 'zod';
import { SluiceError } from '../core/errors.js';
import type { KeyRing } from '../core/key-ring.js';
import { describeSecretRef, type SecretRef, type SecretResolver } from '../core/secrets.js';

/** Keys shorter than this are rejected: HMAC security is bounded by the key's entropy. */
export const MIN_KEY_BYTES = 16;

const encoding = z
  .enum(['hex', 'base64', 'utf8'])
  .default('hex')
  .describe('How the key text is encoded: `hex` (default), `base64` (standard or URL-safe) or `utf8`.');

/** One entry under `keys:`: where a tokenization key comes from. Keys are never inline. */
export const keyRefSchema = z
  .union([
    z.strictObject({
      env: z.string().min(1).describe('Environment variable that holds the key.'),
      encoding,
    }),
    z.strictObject({
      file: z.string().min(1).describe('File that holds the key, relative to the config file.'),
      encoding,
    }),
  ])
  .describe(
    `A tokenization key read from an environment variable or a file; at least ${MIN_KEY_BYTES} bytes.`,
  );

export type KeyRef = z.input<typeof keyRefSchema>;

const HEX = /^(?:[0-9a-fA-F]{2})+$/;
const BASE64 = /^(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}(?:==)?|[A-Za-z0-9+/_-]{3}=?)?$/;

function decode(text: string, enc: 'hex' | 'base64' | 'utf8'): Uint8Array | undefined {
  switch (enc) {
    case 'hex':
      return HEX.test(text) ? new Uint8Array(Buffer.from(text, 'hex')) : undefined;
    case 'base64':
      return text.length > 0 && BASE64.test(text) ? new Uint8Array(Buffer.from(text, 'base64')) : undefined;
    case 'utf8':
      return new TextEncoder().encode(text);
  }
}

/**
 * A key ring over config entries, resolved lazily through `secrets` and cached. `get` returns a
 * copy, so a caller cannot alter the key other masks use.
 *
 * @example
 * const keys = createKeyRing({ customer: { env: 'SLUICE_KEY_CUSTOMER' } }, createSecretResolver(dir));
 * const key = await keys.get('customer');
 */
export function createKeyRing(entries: Record<string, KeyRef>, secrets: SecretResolver): KeyRing {
  const cache = new Map<string, Promise<Uint8Array>>();

  const load = async (keyId: string, entry: KeyRef): Promise<Uint8Array> => {
    const ref: SecretRef = 'env' in entry ? { env: entry.env } : { file: entry.file };
    const enc = entry.encoding ?? 'hex';
    let secret: Awaited<ReturnType<SecretResolver['resolve']>>;
    try {
      secret = await secrets.resolve(ref, `Key \`${keyId}\``);
    } catch (cause) {
      throw new SluiceError(
        'KEY_INVALID',
        `Key \`${keyId}\` cannot be loaded: ${cause instanceof Error ? cause.message : 'its secret is missing'}`,
        { context: { key_id: keyId }, cause },
      );
    }
    const bytes = decode(secret.reveal().trim(), enc);
    if (!bytes) {
      throw new SluiceError(
        'KEY_INVALID',
        `Key \`${keyId}\` from ${describeSecretRef(ref)} is not valid ${enc}. Store the key ${enc === 'hex' ? 'as hex digits (e.g. `openssl rand -hex 32`)' : `as ${enc}`}, or set \`encoding\` to how it is stored.`,
        { context: { key_id: keyId, encoding: enc } },
      );
    }
    if (bytes.length < MIN_KEY_BYTES) {
      throw new SluiceError(
        'KEY_INVALID',
        `Key \`${keyId}\` from ${describeSecretRef(ref)} has ${bytes.length} bytes; keys need at least ${MIN_KEY_BYTES} (32 recommended: \`openssl rand -hex 32\`).`,
        { context: { key_id: keyId, bytes: bytes.length } },
      );
    }
    return bytes;
  };

  const ring: KeyRing & { toJSON(): unknown } = {
    async get(keyId) {
      const entry = Object.hasOwn(entries, keyId) ? entries[keyId] : undefined;
      if (!entry) {
        const known = Object.keys(entries).map((id) => `\`${id}\``);
        throw new SluiceError(
          'KEY_INVALID',
          `Key \`${keyId}\` is not defined. Add it under \`keys:\` in the config${known.length > 0 ? `; defined: ${known.join(', ')}` : ''}.`,
          { context: { key_id: keyId } },
        );
      }
      let pending = cache.get(keyId);
      if (!pending) {
        pending = load(keyId, entry);
        cache.set(keyId, pending);
        // A failed load is not cached: the secret may appear before the next attempt.
        pending.catch(() => cache.delete(keyId));
      }
      return new Uint8Array(await pending);
    },
    ids() {
      return Object.keys(entries);
    },
    toJSON() {
      return { key_ids: Object.keys(entries) };
    },
  };
  Object.defineProperty(ring, inspect.custom, { value: () => `KeyRing(${Object.keys(entries).join(', ')})` });
  return ring;
}
