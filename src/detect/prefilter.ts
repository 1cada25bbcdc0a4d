/** Detector groups a text may contain, from one cheap pass over its characters. */
export const GROUP_EMAIL = 1;
export const GROUP_NUMBERS = 2;
export const GROUP_IPV6 = 4;
export const GROUP_SECRETS = 8;

/**
 * Which detector groups can match `text[start, end)` given as character codes (UTF-16 units or
 * UTF-8 bytes: only ASCII is inspected). 0 means no detector can match, so the regexes are skipped.
 */
export function prefilter(at: (i: number) => number, start: number, end: number): number {
  let digits = 0;
  let colons = 0;
  let groups = 0;
  for (let i = start; i < end; i++) {
    const c = at(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c === 64) groups |= GROUP_EMAIL;
    else if (c === 58) colons++;
    else if (c === 95 || c === 61)
      groups |= GROUP_SECRETS; // `_` (ghp_, sk_live_), `=` (token=)
    else if (c === 101 && at(i + 1) === 121 && at(i + 2) === 74)
      groups |= GROUP_SECRETS; // eyJ (JWT)
    else if (c === 65 && at(i + 2) === 73 && at(i + 3) === 65)
      groups |= GROUP_SECRETS; // AKIA/ASIA
    else if (c === 120 && at(i + 1) === 111 && at(i + 2) === 120)
      groups |= GROUP_SECRETS; // xox
    else if (c === 45 && at(i + 1) === 45 && at(i + 2) === 45) groups |= GROUP_SECRETS; // -----BEGIN
  }
  if (digits >= 4) groups |= GROUP_NUMBERS;
  if (colons >= 2) groups |= GROUP_IPV6;
  if (colons > 0) groups |= GROUP_SECRETS; // `password: …`
  return groups;
}
