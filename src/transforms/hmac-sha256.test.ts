import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HmacSha256 } from './hmac-sha256.js';
import { sha256 } from './sha256.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const utf8 = (s: string) => new TextEncoder().encode(s);

describe('sha256', () => {
  it('matches node:crypto for any byte string, across block boundaries', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(hex(sha256(bytes))).toBe(createHash('sha256').update(bytes).digest('hex'));
      }),
      { numRuns: 300 },
    );
  });

  it('matches node:crypto at every length around the padding boundary', () => {
    for (let n = 0; n <= 130; n++) {
      const bytes = new Uint8Array(n).fill(0x61);
      expect(hex(sha256(bytes))).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
  });
});

describe('HmacSha256', () => {
  it('matches node:crypto HMAC for arbitrary strings, including multi-byte UTF-8 and the empty string', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 100 }),
        fc.oneof(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), fc.constant('')),
        (key, text) => {
          const mac = new HmacSha256(key);
          expect(hex(mac.digest(utf8(text)))).toBe(
            createHmac('sha256', key).update(text, 'utf8').digest('hex'),
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('hashes only the given range of a larger buffer', () => {
    const key = new Uint8Array(32).fill(7);
    const buffer = utf8('xxhello worldyy');
    const mac = new HmacSha256(key);
    mac.update(buffer, 2, 13);
    const words = [...mac.out].map((w) => (w >>> 0).toString(16).padStart(8, '0')).join('');
    expect(words).toBe(createHmac('sha256', key).update('hello world').digest('hex'));
  });

  it('gives the same MAC when reused for many messages', () => {
    const key = utf8('a key of enough length for hmac');
    const mac = new HmacSha256(key);
    for (const text of ['a', 'b'.repeat(200), '', 'a']) {
      expect(hex(mac.digest(utf8(text)))).toBe(createHmac('sha256', key).update(text).digest('hex'));
    }
  });
});
