import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './audit-test-fixture.js';
import { sha256Hex } from './canonical-json.js';
import {
  dsseSign,
  dsseVerify,
  generateSigningKeyPair,
  IN_TOTO_PAYLOAD_TYPE,
  inTotoStatement,
  keyIdOf,
  loadPublicKey,
  loadSigningKey,
  pae,
  signingKeyFrom,
} from './signing.js';

function b64url(decimal: string): string {
  return Buffer.from(BigInt(decimal).toString(16).padStart(64, '0'), 'hex').toString('base64url');
}

describe('DSSE', () => {
  it('encodes PAE exactly as the DSSE protocol test vector', () => {
    const encoded = pae('http://example.com/HelloWorld', Buffer.from('hello world'));
    expect(Buffer.from(encoded).toString('utf8')).toBe(
      'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
    );
  });

  it('counts bytes, not characters, in PAE lengths', () => {
    const encoded = Buffer.from(pae('t/é', Buffer.from('ü', 'utf8'))).toString('utf8');
    expect(encoded).toBe('DSSEv1 4 t/é 2 ü');
  });

  it('accepts the DSSE protocol test vector envelope signed with ECDSA P-256', () => {
    const publicKey = createPublicKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: b64url('46950820868899156662930047687818585632848591499744589407958293238635476079160'),
        y: b64url('5640078356564379163099075877009565129882514886557779369047442380624545832820'),
      },
      format: 'jwk',
    });
    const envelope = {
      payload: 'aGVsbG8gd29ybGQ=',
      payloadType: 'http://example.com/HelloWorld',
      signatures: [
        { sig: 'A3JqsQGtVsJ2O2xqrI5IcnXip5GToJ3F+FnZ+O88SjtR6rDAajabZKciJTfUiHqJPcIAriEGAHTVeCUjW2JIZA==' },
      ],
    };
    const result = dsseVerify(envelope, [publicKey]);
    expect(result.ok).toBe(true);
    if (result.ok) expect(Buffer.from(result.payload).toString()).toBe('hello world');
    const tampered = { ...envelope, payloadType: 'http://example.com/Other' };
    expect(dsseVerify(tampered, [publicKey]).ok).toBe(false);
  });

  it('round-trips an Ed25519 signed in-toto statement', () => {
    const key = signingKeyFrom(generateSigningKeyPair().privateKeyPem);
    const statement = inTotoStatement(
      [{ name: 'part-0.parquet', digest: { sha256: sha256Hex('data') } }],
      'https://sluice.dev/manifest/v1',
      { run: { id: 'run-1' } },
    );
    const envelope = dsseSign(Buffer.from(JSON.stringify(statement)), IN_TOTO_PAYLOAD_TYPE, key);
    expect(envelope.signatures[0]?.keyid).toBe(key.keyId);
    const result = dsseVerify(
      envelope,
      { [key.keyId]: key.publicKey },
      { payloadTypes: [IN_TOTO_PAYLOAD_TYPE] },
    );
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(JSON.parse(Buffer.from(result.payload).toString())).toEqual(statement);
      expect(result.keyIds).toEqual([key.keyId]);
    }
    expect(statement._type).toBe('https://in-toto.io/Statement/v1');
  });

  it('rejects a changed payload, a changed payload type, another key and a lying keyid', () => {
    const key = signingKeyFrom(generateSigningKeyPair().privateKeyPem);
    const other = signingKeyFrom(generateSigningKeyPair().privateKeyPem);
    const envelope = dsseSign(Buffer.from('{"a":1}'), IN_TOTO_PAYLOAD_TYPE, key);
    const trusted = { [key.keyId]: key.publicKey };
    expect(dsseVerify({ ...envelope, payload: Buffer.from('{"a":2}').toString('base64') }, trusted).ok).toBe(
      false,
    );
    expect(dsseVerify({ ...envelope, payloadType: 'application/vnd.in-toto.x+json' }, trusted).ok).toBe(
      false,
    );
    expect(dsseVerify(envelope, { [other.keyId]: other.publicKey }).ok).toBe(false);
    // A keyid naming a trusted key does not make another key's signature valid.
    const forged = dsseSign(Buffer.from('{"a":1}'), IN_TOTO_PAYLOAD_TYPE, other, key.keyId);
    expect(dsseVerify(forged, trusted).ok).toBe(false);
    // The keyid is only a hint: a wrong one does not stop a valid signature from verifying.
    const misnamed = { ...envelope, signatures: [{ keyid: 'nope', sig: envelope.signatures[0]?.sig ?? '' }] };
    expect(dsseVerify(misnamed, trusted).ok).toBe(true);
  });

  it('rejects malformed envelopes, an unaccepted payload type and an unmet threshold with a reason', () => {
    const key = signingKeyFrom(generateSigningKeyPair().privateKeyPem);
    const trusted = { [key.keyId]: key.publicKey };
    const envelope = dsseSign(Buffer.from('x'), 'application/vnd.test+json', key);
    expect(dsseVerify(null, trusted)).toEqual({ ok: false, problem: 'the envelope is not a JSON object' });
    expect(dsseVerify({ ...envelope, signatures: [] }, trusted).ok).toBe(false);
    expect(dsseVerify({ ...envelope, payload: '!!' }, trusted).ok).toBe(false);
    expect(dsseVerify(envelope, trusted, { payloadTypes: [IN_TOTO_PAYLOAD_TYPE] }).ok).toBe(false);
    const twice = { ...envelope, signatures: [...envelope.signatures, ...envelope.signatures] };
    const result = dsseVerify(twice, trusted, { threshold: 2 });
    expect(result).toEqual({ ok: false, problem: 'only 1 of the required 2 trusted keys signed' });
  });

  it('accepts URL-safe base64 as the protocol requires', () => {
    const key = signingKeyFrom(generateSigningKeyPair().privateKeyPem);
    const envelope = dsseSign(Buffer.from([0xfb, 0xff, 0xfe]), 'application/vnd.test+json', key);
    const urlSafe = {
      ...envelope,
      payload: Buffer.from([0xfb, 0xff, 0xfe]).toString('base64url'),
      signatures: envelope.signatures.map((s) => ({
        ...s,
        sig: Buffer.from(s.sig, 'base64').toString('base64url'),
      })),
    };
    expect(dsseVerify(urlSafe, [key.publicKey]).ok).toBe(true);
  });
});

describe('signing keys', () => {
  it('loads a PEM key from a file or an environment variable with a stable key id', async () => {
    const dir = await tempDir();
    const pair = generateSigningKeyPair();
    await writeFile(join(dir, 'signing.pem'), pair.privateKeyPem);
    await writeFile(join(dir, 'signing.pub.pem'), pair.publicKeyPem);
    const fromFile = await loadSigningKey({ file: 'signing.pem' }, { baseDir: dir });
    const fromEnv = await loadSigningKey({ env: 'K' }, { env: { K: pair.privateKeyPem } });
    expect(fromFile.keyId).toBe(pair.keyId);
    expect(fromEnv.keyId).toBe(pair.keyId);
    expect(keyIdOf(await loadPublicKey(join(dir, 'signing.pub.pem')))).toBe(pair.keyId);
    expect(
      (await loadSigningKey({ env: 'K' }, { env: { K: pair.privateKeyPem }, keyId: 'prod-2024' })).keyId,
    ).toBe('prod-2024');
  });

  it('refuses a missing secret, a non-key and a key that is not Ed25519 without printing the key', async () => {
    await expect(loadSigningKey({ env: 'NOPE' }, { env: {} })).rejects.toMatchObject({
      code: 'SECRET_MISSING',
    });
    const notAKey = loadSigningKey({ env: 'K' }, { env: { K: 'SECRET-MATERIAL-123' } });
    await expect(notAKey).rejects.toMatchObject({ code: 'KEY_INVALID' });
    await expect(notAKey).rejects.not.toThrow(/SECRET-MATERIAL/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expect(() => signingKeyFrom(rsa)).toThrow(/Ed25519 private key is required/);
  });

  it('refuses a subject digest that is not a sha256 hex digest', () => {
    expect(() => inTotoStatement([{ name: 'f', digest: { sha256: 'abc' } }], 'https://x', {})).toThrow(
      /64 lowercase hex/,
    );
  });
});
