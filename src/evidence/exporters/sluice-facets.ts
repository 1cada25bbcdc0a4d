/**
 * JSON Schemas of Sluice's custom OpenLineage facets. Named per the spec's custom facet rules:
 * `{prefix}{name}{entity}Facet` (PascalCase) attached under `{prefix}_{name}`, prefix `sluice`.
 * `_schemaURL` must be an immutable, versioned pointer: bump `SLUICE_FACETS_VERSION` on any change.
 */
export const SLUICE_FACETS_VERSION = '1-0-0';

/** Default base of `_schemaURL` until the schemas are published at an immutable URL. */
export const DEFAULT_FACET_SCHEMA_BASE = `urn:sluice:openlineage:facets:${SLUICE_FACETS_VERSION}:`;

const CORE = 'https://openlineage.io/spec/2-0-2/OpenLineage.json';

export function facetSchemaUrl(base: string, name: string): string {
  return `${base}${name}.json#/$defs/${name}`;
}

/** The schemas, by facet name, as a document per facet (like the standard facet files). */
export function sluiceFacetSchemas(
  base = DEFAULT_FACET_SCHEMA_BASE,
): Record<string, Record<string, unknown>> {
  const identity = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `${base}SluiceIdentityRunFacet.json`,
    $defs: {
      SluiceIdentityRunFacet: {
        allOf: [
          { $ref: `${CORE}#/$defs/RunFacet` },
          {
            type: 'object',
            description: 'The authenticated identity that ran the job, with its declared purpose and policy.',
            properties: {
              subject: { type: 'string' },
              issuer: { type: 'string' },
              method: { type: 'string', description: 'oidc | token | local' },
              groups: { type: 'array', items: { type: 'string' } },
              verified: { type: 'boolean' },
              onBehalfOf: { type: 'string' },
              agent: {
                type: 'object',
                properties: { id: { type: 'string' }, model: { type: 'string' } },
                required: ['id'],
              },
              purpose: { type: 'string' },
              policySha256: { type: 'string' },
              approvals: { type: 'array', items: { type: 'string' } },
              manifestSha256: { type: 'string' },
            },
            required: ['subject', 'issuer', 'method', 'groups', 'verified'],
          },
        ],
        type: 'object',
      },
    },
    type: 'object',
    properties: { sluice_identity: { $ref: '#/$defs/SluiceIdentityRunFacet' } },
  };
  const masking = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `${base}SluiceMaskingDatasetFacet.json`,
    $defs: {
      SluiceMaskingDatasetFacet: {
        allOf: [
          { $ref: `${CORE}#/$defs/DatasetFacet` },
          {
            type: 'object',
            description: 'Masks applied to the dataset columns inside the extraction (never key material).',
            properties: {
              fields: {
                type: 'object',
                additionalProperties: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      mask: { type: 'string' },
                      keyId: { type: 'string' },
                      params: { type: 'object' },
                      origin: { type: 'string', enum: ['pipeline', 'policy'] },
                      source: { type: 'string' },
                      sourceColumn: { type: 'string' },
                    },
                    required: ['mask', 'origin'],
                  },
                },
              },
            },
            required: ['fields'],
          },
        ],
        type: 'object',
      },
    },
    type: 'object',
    properties: { sluice_masking: { $ref: '#/$defs/SluiceMaskingDatasetFacet' } },
  };
  return { SluiceIdentityRunFacet: identity, SluiceMaskingDatasetFacet: masking };
}
