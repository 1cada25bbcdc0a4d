import { z } from 'zod';
import type { Registry } from '../core/registry.js';
import { manifestJsonSchema } from '../evidence/manifest/manifest-schema.js';
import { buildConfigSchema } from './config-schema.js';
import { buildPipelineSchema } from './pipeline-schema.js';

/** JSON Schemas of the pipeline and config files, generated from the zod schemas of the registry. */
export function generateJsonSchemas(registry: Registry): { name: string; text: string }[] {
  const make = (schema: z.ZodType, title: string) => {
    const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-7' }) as Record<
      string,
      unknown
    >;
    return `${JSON.stringify({ title, ...json }, null, 2)}\n`;
  };
  return [
    { name: 'pipeline.schema.json', text: make(buildPipelineSchema(registry), 'Sluice pipeline') },
    { name: 'config.schema.json', text: make(buildConfigSchema(registry), 'Sluice config') },
    { name: 'manifest.schema.json', text: manifestJsonSchema() },
  ];
}
