/**
 * The Sluice framework: contracts for connectors, outputs and masks, config loading, the
 * engine and the evidence plane. Connectors and plugins import from here. Applications usually
 * import from the package entry (`sluice`), which adds the built-in connectors.
 */

export * from './config/index.js';
export * from './core/index.js';
export { readAhead } from './engine/read-ahead.js';
export type { RunPipelineOptions, RunResult } from './engine/run-pipeline.js';
export { authenticate, newRunId } from './engine/run-pipeline.js';
export type { ValidationReport } from './engine/validate-pipeline.js';
export * from './evidence/index.js';
export * from './guard/index.js';
export type { AuthenticationEvent } from './identity/index.js';
export * from './identity/index.js';
export * from './transforms/index.js';
export { SLUICE_VERSION } from './version.js';
