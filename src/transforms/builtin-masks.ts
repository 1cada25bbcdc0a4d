import type { AnyMaskDefinition } from '../core/component-definition.js';
import { hmacMask } from './hmac-mask.js';
import { nullMask } from './null-mask.js';
import { partialMask } from './partial-mask.js';
import { redactMask } from './redact-mask.js';

/** The masks Sluice ships; the CLI registers them explicitly. */
export const builtinMasks: AnyMaskDefinition[] = [redactMask, nullMask, hmacMask, partialMask];
