import { SluiceError } from '../core/errors.js';

const UNIT_S = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 } as const;

/**
 * Parses a duration with a unit suffix (`90s`, `15m`, `12h`, `30d`, `2w`) into whole seconds.
 * Throws `USAGE` naming `what` when the text is not one.
 */
export function parseDurationS(text: string, what: string): number {
  const match = /^\s*(\d+)\s*([smhdw])\s*$/.exec(text);
  const amount = match ? Number(match[1]) : Number.NaN;
  const unit = match?.[2] as keyof typeof UNIT_S | undefined;
  if (unit === undefined || !Number.isSafeInteger(amount) || amount <= 0) {
    throw new SluiceError(
      'USAGE',
      `${what} \`${text}\` is not a duration. Write a positive whole number with a unit: \`90s\`, \`15m\`, \`12h\`, \`30d\` or \`2w\`.`,
      { context: { what } },
    );
  }
  return amount * UNIT_S[unit];
}
