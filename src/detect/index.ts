export * from './classify-column-name.js';
export * from './classify-values.js';
export * from './detect-drift.js';
export { detectInText } from './detect-in-text.js';
export * from './pii-kind.js';
export { ibanValid, luhnValid, ssnValid } from './validators.js';
