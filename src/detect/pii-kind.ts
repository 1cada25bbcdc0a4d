/** What the value detectors find in text. */
export const PII_KINDS = ['email', 'phone', 'card', 'iban', 'ssn', 'ipv4', 'ipv6', 'secret'] as const;
export type PiiKind = (typeof PII_KINDS)[number];

/** One detected entity: a kind and UTF-16 offsets into the text; never the matched text itself. */
export interface PiiSpan {
  kind: PiiKind;
  start: number;
  end: number;
}

/** The inline label `redact_pii` writes for each kind. */
export const PII_LABELS: Record<PiiKind, string> = {
  email: '[EMAIL]',
  phone: '[PHONE]',
  card: '[CARD]',
  iban: '[IBAN]',
  ssn: '[SSN]',
  ipv4: '[IP]',
  ipv6: '[IP]',
  secret: '[SECRET]',
};
