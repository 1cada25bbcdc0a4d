import { isIPv6 } from 'node:net';
import type { PiiKind, PiiSpan } from './pii-kind.js';
import { GROUP_EMAIL, GROUP_IPV6, GROUP_NUMBERS, GROUP_SECRETS, prefilter } from './prefilter.js';
import { entropy, ibanValid, luhnValid, ssnValid } from './validators.js';

interface Detector {
  kind: PiiKind;
  group: number;
  pattern: RegExp;
  /** Accepts a match (checksums, ranges); may narrow the span to a capture group. */
  accept?(match: RegExpExecArray): boolean | [number, number];
}

const digitCount = (s: string): number => {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
};

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';

// Order is priority: when spans overlap, the earlier detector wins.
const DETECTORS: Detector[] = [
  {
    kind: 'secret',
    group: GROUP_SECRETS,
    pattern:
      /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----(?:[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|[^\n]*)/g,
  },
  {
    kind: 'secret',
    group: GROUP_SECRETS,
    pattern:
      /(?<![A-Za-z0-9_-])(?:(?:AKIA|ASIA)[0-9A-Z]{16}|eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{10,}|gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{22,255}|xox[bpars]-[A-Za-z0-9-]{10,}|[sr]k_live_[A-Za-z0-9]{16,})(?![A-Za-z0-9_])/g,
  },
  {
    kind: 'secret',
    group: GROUP_SECRETS,
    pattern:
      /\b(?:password|passwd|pwd|pass|token|secret|api[_-]?key|access[_-]?key)\s*[=:]\s*["']?([^\s"'&,;]{8,})/gi,
    accept(m) {
      const value = m[1]!;
      if (entropy(value) < 3) return false;
      const start = m.index + m[0].length - value.length;
      return [start, start + value.length];
    },
  },
  {
    kind: 'email',
    group: GROUP_EMAIL,
    pattern:
      /(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)+[A-Za-z]{2,24}(?![A-Za-z0-9-])/g,
  },
  {
    kind: 'iban',
    group: GROUP_NUMBERS,
    pattern: /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?![A-Za-z0-9])/g,
    accept: (m) => ibanValid(m[0]),
  },
  {
    kind: 'card',
    group: GROUP_NUMBERS,
    pattern: /(?<![\d-])[2-6]\d{2,3}(?:[ -]?\d){9,15}(?![\d-])/g,
    accept(m) {
      const n = digitCount(m[0]);
      return n >= 13 && n <= 19 && luhnValid(m[0]);
    },
  },
  {
    kind: 'ssn',
    group: GROUP_NUMBERS,
    pattern: /(?<![\d-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\d-])/g,
    accept: (m) => ssnValid(Number(m[1]), Number(m[3]), Number(m[4])),
  },
  {
    kind: 'phone',
    group: GROUP_NUMBERS,
    pattern:
      /(?<![\w+.-]|\d )(?:\+[1-9]\d{0,2}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,4}|\(\d{3}\)[ .-]?\d{3}[ .-]\d{4}|\d{3}[.-]\d{3}[.-]\d{4}|(?!\d{3}-\d{2}-\d{4}(?!\d))0\d{1,4}(?:[ -]\d{2,4}){2,4}|0\d{2,4}[ -]\d{5,8})(?![\w.-]?\d)/g,
    accept(m) {
      const n = digitCount(m[0]);
      return n >= 8 && n <= 15;
    },
  },
  {
    kind: 'ipv4',
    group: GROUP_NUMBERS,
    pattern: new RegExp(`(?<![\\d.\\w])(?:${OCTET}\\.){3}${OCTET}(?![\\d.]*\\d)`, 'g'),
  },
  {
    kind: 'ipv6',
    group: GROUP_IPV6,
    pattern: /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?![\w:])/g,
    accept: (m) => m[0].length >= 3 && isIPv6(m[0]) && m[0] !== '::',
  },
];

/** Detector groups of a JS string (see `prefilter`). */
export function textGroups(text: string): number {
  return prefilter((i) => text.charCodeAt(i), 0, text.length);
}

/**
 * Finds emails, phone numbers, card numbers (Luhn), IBANs (mod-97), US SSNs, IPv4/IPv6 addresses and
 * secrets in `text`. Returns non-overlapping spans sorted by start; never copies the matched text.
 *
 * @example
 * detectInText('mail ann@example.com') // [{ kind: 'email', start: 5, end: 20 }]
 */
export function detectInText(
  text: string,
  kinds?: ReadonlySet<PiiKind>,
  groups = textGroups(text),
): PiiSpan[] {
  if (groups === 0) return [];
  const spans: PiiSpan[] = [];
  for (const d of DETECTORS) {
    if ((d.group & groups) === 0 || (kinds && !kinds.has(d.kind))) continue;
    d.pattern.lastIndex = 0;
    for (let m = d.pattern.exec(text); m !== null; m = d.pattern.exec(text)) {
      const verdict = d.accept ? d.accept(m) : true;
      if (verdict === false) {
        // Retry one character later: a shorter candidate inside a rejected one may be valid.
        d.pattern.lastIndex = m.index + 1;
        continue;
      }
      const [start, end] = verdict === true ? [m.index, m.index + m[0].length] : verdict;
      if (!spans.some((s) => start < s.end && s.start < end)) spans.push({ kind: d.kind, start, end });
    }
  }
  return spans.sort((a, b) => a.start - b.start);
}
