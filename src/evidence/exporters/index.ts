export * from './attach-model-card.js';
export * from './croissant-export.js';
export * from './datacard-export.js';
export * from './describe-mask.js';
export * from './openlineage-export.js';
export * from './openlineage-run-id.js';
export * from './post-openlineage.js';
export * from './sluice-facets.js';
