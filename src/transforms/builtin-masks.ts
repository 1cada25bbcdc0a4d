import type { AnyMaskDefinition } from '../core/component-definition.js';
import { dateShiftMask } from './date-shift-mask.js';
import { fakeMask } from './fake-mask.js';
import { fpeMask } from './fpe-mask.js';
import { generalizeMask } from './generalize-mask.js';
import { hmacMask } from './hmac-mask.js';
import { noiseMask } from './noise-mask.js';
import { nullMask } from './null-mask.js';
import { partialMask } from './partial-mask.js';
import { redactMask } from './redact-mask.js';
import { redactPiiMask } from './redact-pii-mask.js';

/** The masks Sluice ships; the CLI registers them explicitly. */
export const builtinMasks: AnyMaskDefinition[] = [
  redactMask,
  nullMask,
  hmacMask,
  partialMask,
  fpeMask,
  fakeMask,
  dateShiftMask,
  generalizeMask,
  noiseMask,
  redactPiiMask,
];
