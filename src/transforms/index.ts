export * from './builtin-masks.js';
export * from './column-masks.js';
export * from './hmac-mask.js';
export * from './hmac-sha256.js';
export * from './key-ring.js';
export * from './null-mask.js';
export * from './partial-mask.js';
export * from './redact-mask.js';
export { sha256 } from './sha256.js';
