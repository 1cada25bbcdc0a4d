import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { SluiceError } from '../core/errors.js';
import { createSecretResolver, type SecretRef } from '../core/secrets.js';
import { sha256Hex } from './canonical-json.js';

/** An Ed25519 private key with its public half and the key id recorded beside signatures. */
export interface SigningKey {
  keyId: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** A DSSE v1 envelope (https://github.com/secure-systems-lab/dsse/blob/v1.0.2/envelope.md). */
export interface DsseEnvelope {
  payloadType: string;
  /** Base64 of the serialized body. */
  payload: string;
  signatures: DsseSignature[];
}

export interface DsseSignature {
  keyid?: string;
  /** Base64 signature over `pae(payloadType, payload)`. */
  sig: string;
}

export type DsseVerification =
  | { ok: true; payload: Uint8Array; payloadType: string; keyIds: string[] }
  | { ok: false; problem: string };

export const IN_TOTO_STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

export interface InTotoSubject {
  name: string;
  digest: { sha256: string } & Record<string, string>;
}

export interface InTotoStatement<P = unknown> {
  _type: typeof IN_TOTO_STATEMENT_TYPE;
  subject: InTotoSubject[];
  predicateType: string;
  predicate: P;
}

/**
 * The key id of a public key: lowercase hex SHA-256 of its DER SubjectPublicKeyInfo, so the same
 * key has the same id wherever it is loaded.
 */
export function keyIdOf(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return sha256Hex(publicKey.export({ type: 'spki', format: 'der' }));
}

/** A fresh Ed25519 key pair as PEM (PKCS#8 private, SPKI public) with its key id. */
export function generateSigningKeyPair(): { privateKeyPem: string; publicKeyPem: string; keyId: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyId: keyIdOf(publicKey),
  };
}

/** Wraps an Ed25519 private key (KeyObject or PEM text) as a SigningKey. */
export function signingKeyFrom(key: KeyObject | string, keyId?: string): SigningKey {
  let privateKey: KeyObject;
  try {
    privateKey = typeof key === 'string' ? createPrivateKey(key) : key;
  } catch (cause) {
    throw new SluiceError(
      'KEY_INVALID',
      'The signing key is not a PEM private key. Generate one with `openssl genpkey -algorithm ed25519`.',
      { cause },
    );
  }
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') {
    throw new SluiceError(
      'KEY_INVALID',
      `The signing key is a ${privateKey.type} ${privateKey.asymmetricKeyType ?? 'unknown'} key; an Ed25519 private key is required.`,
      { context: { type: privateKey.type, algorithm: privateKey.asymmetricKeyType } },
    );
  }
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, keyId: keyId ?? keyIdOf(publicKey) };
}

/**
 * Loads an Ed25519 private key (PEM) from an environment variable or a file. The key id defaults
 * to `keyIdOf(publicKey)`.
 *
 * @example const key = await loadSigningKey({ env: 'SLUICE_SIGNING_KEY' });
 */
export async function loadSigningKey(
  ref: SecretRef | KeyObject,
  options: { baseDir?: string; keyId?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<SigningKey> {
  if (!('env' in ref) && !('file' in ref)) return signingKeyFrom(ref, options.keyId);
  const resolver = createSecretResolver(options.baseDir ?? process.cwd(), options.env ?? process.env);
  const secret = await resolver.resolve(ref, 'The signing key');
  return signingKeyFrom(secret.reveal(), options.keyId);
}

/** Reads a public key (PEM, SPKI; a private key PEM yields its public half) from a file. */
export async function loadPublicKey(path: string): Promise<KeyObject> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (cause) {
    throw new SluiceError(
      'CONFIG_NOT_FOUND',
      `Public key file \`${path}\` cannot be read (${(cause as NodeJS.ErrnoException).code ?? 'error'}).`,
      { context: { file: path }, cause },
    );
  }
  try {
    return createPublicKey(pem);
  } catch (cause) {
    throw new SluiceError('KEY_INVALID', `File \`${path}\` does not hold a PEM public key.`, {
      context: { file: path },
      cause,
    });
  }
}

/** DSSE v1 Pre-Authentication Encoding: `DSSEv1 SP LEN(type) SP type SP LEN(body) SP body`. */
export function pae(payloadType: string, payload: Uint8Array): Uint8Array {
  const type = Buffer.from(payloadType, 'utf8');
  const head = Buffer.from(`DSSEv1 ${type.length} ${payloadType} ${payload.length} `, 'utf8');
  return Buffer.concat([head, payload]);
}

/** Signs `payload` as a DSSE envelope with one Ed25519 signature. */
export function dsseSign(
  payload: Uint8Array,
  payloadType: string,
  key: SigningKey | KeyObject,
  keyid?: string,
): DsseEnvelope {
  const signing = 'privateKey' in key ? key : signingKeyFrom(key);
  const sig = sign(null, pae(payloadType, payload), signing.privateKey);
  return {
    payloadType,
    payload: Buffer.from(payload).toString('base64'),
    signatures: [{ keyid: keyid ?? signing.keyId, sig: sig.toString('base64') }],
  };
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/**
 * Verifies a DSSE envelope against trusted public keys (Ed25519, or ECDSA P-256/SHA-256 with raw
 * r||s signatures). The `keyid` is only a hint to pick keys first; every trusted key is tried
 * before a signature is rejected. Valid when at least `threshold` (default 1) distinct trusted
 * keys signed; the payload is returned only then.
 */
export function dsseVerify(
  envelope: unknown,
  publicKeys: Record<string, KeyObject> | KeyObject[],
  options: { threshold?: number; payloadTypes?: string[] } = {},
): DsseVerification {
  const shape = envelopeShape(envelope);
  if (typeof shape === 'string') return { ok: false, problem: shape };
  const trusted = Array.isArray(publicKeys)
    ? publicKeys.map((key) => [keyIdOf(key), key] as const)
    : Object.entries(publicKeys);
  if (trusted.length === 0) return { ok: false, problem: 'no trusted public key was given' };
  const payload = Buffer.from(shape.payload, 'base64');
  const message = pae(shape.payloadType, payload);
  const accepted = new Set<string>();
  for (const signature of shape.signatures) {
    const sig = Buffer.from(signature.sig, 'base64');
    // The keyid is unauthenticated: it only orders the candidates.
    const candidates = [...trusted].sort(
      ([a], [b]) => Number(b === signature.keyid) - Number(a === signature.keyid),
    );
    for (const [id, key] of candidates) {
      if (!accepted.has(id) && verifyWith(key, message, sig)) {
        accepted.add(id);
        break;
      }
    }
  }
  const threshold = options.threshold ?? 1;
  if (accepted.size < threshold) {
    return {
      ok: false,
      problem:
        accepted.size === 0
          ? 'no signature verifies with a trusted public key (the payload or a signature was changed, or it was signed by another key)'
          : `only ${accepted.size} of the required ${threshold} trusted keys signed`,
    };
  }
  if (options.payloadTypes && !options.payloadTypes.includes(shape.payloadType)) {
    return { ok: false, problem: `payload type \`${shape.payloadType}\` is not one of the accepted types` };
  }
  return { ok: true, payload, payloadType: shape.payloadType, keyIds: [...accepted] };
}

/** An in-toto Statement v1 binding `subjects` (by digest) to a predicate. */
export function inTotoStatement<P>(
  subjects: InTotoSubject[],
  predicateType: string,
  predicate: P,
): InTotoStatement<P> {
  for (const subject of subjects) {
    if (!/^[0-9a-f]{64}$/.test(subject.digest.sha256)) {
      throw new SluiceError(
        'INTERNAL',
        `Subject \`${subject.name}\` has a sha256 digest that is not 64 lowercase hex digits.`,
        { context: { subject: subject.name } },
      );
    }
  }
  return { _type: IN_TOTO_STATEMENT_TYPE, subject: subjects, predicateType, predicate };
}

function verifyWith(key: KeyObject, message: Uint8Array, sig: Uint8Array): boolean {
  try {
    if (key.asymmetricKeyType === 'ed25519') return verify(null, message, key, sig);
    if (key.asymmetricKeyType === 'ec') {
      return verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, sig);
    }
  } catch {
    // A malformed signature is a failed verification, not an error.
  }
  return false;
}

function envelopeShape(value: unknown): DsseEnvelope | string {
  if (typeof value !== 'object' || value === null) return 'the envelope is not a JSON object';
  const e = value as Record<string, unknown>;
  if (typeof e.payloadType !== 'string') return 'the envelope has no string `payloadType`';
  if (typeof e.payload !== 'string' || !BASE64.test(e.payload)) {
    return 'the envelope `payload` is not base64';
  }
  if (!Array.isArray(e.signatures) || e.signatures.length === 0) return 'the envelope has no `signatures`';
  const signatures: DsseSignature[] = [];
  for (const s of e.signatures as unknown[]) {
    const sig = (s as { sig?: unknown } | null)?.sig;
    const keyid = (s as { keyid?: unknown } | null)?.keyid;
    if (typeof sig !== 'string' || !BASE64.test(sig)) return 'a signature `sig` is not base64';
    signatures.push(typeof keyid === 'string' ? { keyid, sig } : { sig });
  }
  return { payloadType: e.payloadType, payload: e.payload, signatures };
}
