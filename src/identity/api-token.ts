import { createHash, randomBytes } from 'node:crypto';

/** Every Sluice API token starts with this, so secret scanners and people can recognise one. */
export const API_TOKEN_PREFIX = 'slc_';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SECRET_BYTES = 32;
// ceil(256 / log2(62)): every 32-byte secret fits in 43 base62 digits.
const SECRET_CHARS = 43;
const API_TOKEN_SHAPE = new RegExp(`^${API_TOKEN_PREFIX}[0-9A-Za-z]{${SECRET_CHARS}}$`);

/** A new token: the prefix and 256 random bits in base62 (no `-`/`_`, so a double-click selects it). */
export function generateApiToken(): string {
  let n = BigInt(`0x${randomBytes(SECRET_BYTES).toString('hex')}`);
  let digits = '';
  for (let i = 0; i < SECRET_CHARS; i++) {
    digits = ALPHABET[Number(n % 62n)] + digits;
    n /= 62n;
  }
  return API_TOKEN_PREFIX + digits;
}

/** Whether `credential` has the exact shape of a Sluice API token. */
export function isApiTokenShape(credential: string): boolean {
  return API_TOKEN_SHAPE.test(credential);
}

/** Whether `credential` is meant as a Sluice API token (its prefix), well-formed or not. */
export function hasApiTokenPrefix(credential: string): boolean {
  return credential.startsWith(API_TOKEN_PREFIX);
}

/** SHA-256 of the token as lowercase hex: what the tokens file stores instead of the token. */
export function hashApiToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A short public id for a token (from its hash), to name it in listings and audit events. */
export function apiTokenId(hash: string): string {
  return hash.slice(0, 12);
}
