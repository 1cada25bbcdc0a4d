/**
 * Dotted name patterns of the policy (`demo.main.customers.email`, `*.*.customers.*`, `main.cust*`).
 * Parts are compared case-insensitively: DuckDB folds every identifier, PostgreSQL folds unquoted
 * ones, and for classifications matching more is the safe direction.
 */

/** Splits `a."b.c".d` into `['a', 'b.c', 'd']`; undefined when quotes are unbalanced or a part is empty. */
export function splitDotted(text: string): string[] | undefined {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  let wasQuoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        current += '"';
        i++;
      } else if (ch === '"') {
        quoted = false;
      } else {
        current += ch;
      }
    } else if (ch === '"') {
      quoted = true;
      wasQuoted = true;
    } else if (ch === '.') {
      if (current === '' && !wasQuoted) return undefined;
      parts.push(current);
      current = '';
      wasQuoted = false;
    } else {
      current += ch;
    }
  }
  if (quoted || (current === '' && !wasQuoted)) return undefined;
  parts.push(current);
  return parts;
}

/** A compiled pattern part: `*` matches any run of characters. */
export type PartMatcher = (value: string) => boolean;

export function compilePart(pattern: string): PartMatcher {
  const lower = pattern.toLowerCase();
  if (lower === '*') return () => true;
  if (!lower.includes('*')) return (value) => value.toLowerCase() === lower;
  const source = lower
    .split('*')
    .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  const re = new RegExp(`^${source}$`, 's');
  return (value) => re.test(value.toLowerCase());
}

/** A pattern of fixed length; undefined when the text does not split into `parts` parts. */
export function compilePattern(text: string, parts: number): PartMatcher[] | undefined {
  const split = splitDotted(text);
  if (split === undefined || split.length !== parts) return undefined;
  return split.map(compilePart);
}

export function matchesAll(matchers: readonly PartMatcher[], values: readonly string[]): boolean {
  return matchers.length === values.length && matchers.every((m, i) => m(values[i] ?? ''));
}
