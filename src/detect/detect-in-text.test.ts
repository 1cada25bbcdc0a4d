import { describe, expect, it } from 'vitest';
import { detectInText } from './detect-in-text.js';

const found = (text: string) => detectInText(text).map((s) => `${s.kind}:${text.slice(s.start, s.end)}`);

describe('detectInText', () => {
  it('finds emails, phones, cards, SSNs, IBANs and IP addresses with their offsets', () => {
    expect(found('Contact ann.lee@example.com or +1 415-555-0132, card 4111 1111 1111 1111.')).toEqual([
      'email:ann.lee@example.com',
      'phone:+1 415-555-0132',
      'card:4111 1111 1111 1111',
    ]);
    expect(found('SSN 123-45-6789; IBAN DE89 3704 0044 0532 0130 00 and GB82WEST12345698765432')).toEqual([
      'ssn:123-45-6789',
      'iban:DE89 3704 0044 0532 0130 00',
      'iban:GB82WEST12345698765432',
    ]);
    expect(found('from 192.168.1.20 and 2001:db8::8a2e:370:7334')).toEqual([
      'ipv4:192.168.1.20',
      'ipv6:2001:db8::8a2e:370:7334',
    ]);
    expect(found('call (415) 555-0199, +14155550123, 030 1234 5678 or 06 12 34 56 78')).toEqual([
      'phone:(415) 555-0199',
      'phone:+14155550123',
      'phone:030 1234 5678',
      'phone:06 12 34 56 78',
    ]);
  });

  it('finds secrets: cloud keys, tokens, private keys, JWTs and high-entropy passwords', () => {
    const text = `AKIAIOSFODNN7EXAMPLE ghp_${'a1B2'.repeat(9)} xoxb-1234567890-abcdefghij sk_live_4eC39HqLyjWDarjtT1zdp7dc password=Zx9!kQ2#mP7vL4wR`;
    expect(found(text).map((f) => f.split(':')[0])).toEqual([
      'secret',
      'secret',
      'secret',
      'secret',
      'secret',
    ]);
    expect(found('password=Zx9!kQ2#mP7vL4wR')).toEqual(['secret:Zx9!kQ2#mP7vL4wR']);
    expect(found('-----BEGIN RSA PRIVATE KEY-----\nMIIabc\n-----END RSA PRIVATE KEY-----')).toHaveLength(1);
    expect(
      found(
        'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
      ),
    ).toHaveLength(1);
  });

  it('ignores look-alikes: invalid SSN ranges, Luhn failures, bad IBAN checks, dates, versions, UUIDs, times', () => {
    expect(
      found(
        'ids 666-12-3456 000-12-3456 912-34-5678, ref 4111111111111112, IBAN DE00 3704 0044 0532 0130 00, ' +
          'on 2024-01-15 and 15/01/2024, version 1.2.3, request 123e4567-e89b-12d3-a456-426614174000, at 12:30:45, ' +
          'password=aaaaaaaaaaaa, ticket #1234567',
      ),
    ).toEqual([]);
  });

  it('restricts to the kinds asked for', () => {
    expect(detectInText('ann@example.com 123-45-6789', new Set(['ssn'])).map((s) => s.kind)).toEqual(['ssn']);
  });

  it('skips texts that cannot contain anything without running the detectors', () => {
    expect(detectInText('Hello, thanks for the quick reply!')).toEqual([]);
  });
});
