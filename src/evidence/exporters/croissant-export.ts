import type { Manifest, ManifestOutput } from '../manifest/manifest-schema.js';
import { describeMask, mediaTypeOf } from './describe-mask.js';

/**
 * The JSON-LD context of Croissant 1.1 (as in the spec's examples, mlcommons/croissant, Apache
 * License 2.0) plus the PROV-O prefix. Inline, so expanding the document needs no network.
 */
export const CROISSANT_CONTEXT = {
  '@language': 'en',
  '@vocab': 'https://schema.org/',
  arrayShape: 'cr:arrayShape',
  citeAs: 'cr:citeAs',
  column: 'cr:column',
  conformsTo: 'dct:conformsTo',
  containedIn: 'cr:containedIn',
  cr: 'http://mlcommons.org/croissant/',
  rai: 'http://mlcommons.org/croissant/RAI/',
  prov: 'http://www.w3.org/ns/prov#',
  data: { '@id': 'cr:data', '@type': '@json' },
  dataType: { '@id': 'cr:dataType', '@type': '@vocab' },
  dct: 'http://purl.org/dc/terms/',
  examples: { '@id': 'cr:examples', '@type': '@json' },
  extract: 'cr:extract',
  field: 'cr:field',
  fileProperty: 'cr:fileProperty',
  fileObject: 'cr:fileObject',
  fileSet: 'cr:fileSet',
  format: 'cr:format',
  includes: 'cr:includes',
  isArray: 'cr:isArray',
  isLiveDataset: 'cr:isLiveDataset',
  jsonPath: 'cr:jsonPath',
  key: 'cr:key',
  md5: 'cr:md5',
  parentField: 'cr:parentField',
  path: 'cr:path',
  recordSet: 'cr:recordSet',
  references: 'cr:references',
  regex: 'cr:regex',
  repeated: 'cr:repeated',
  replace: 'cr:replace',
  samplingRate: 'cr:samplingRate',
  sc: 'https://schema.org/',
  separator: 'cr:separator',
  source: 'cr:source',
  subField: 'cr:subField',
  transform: 'cr:transform',
} as const;

export interface CroissantOptions {
  /** Dataset description (default: derived from the pipeline). */
  description?: string;
  /** License URL, when the dataset has one. */
  license?: string;
  /** Landing page URL. */
  url?: string;
}

/**
 * A Croissant 1.1 description of the dataset with the RAI 1.0 fields Sluice can state
 * (personal and sensitive information, data collection, preprocessing and masking) and PROV-O
 * provenance: the run as a `prov:Activity`, the identity as a `prov:Agent`, and each field
 * derived from its source columns.
 */
export function toCroissant(manifest: Manifest, options: CroissantOptions = {}): Record<string, unknown> {
  const runIri = `urn:sluice:run:${manifest.run.id}`;
  const sourceIri = (connection: string, relation: string, column?: string) =>
    `urn:sluice:source:${encodeURIComponent(connection)}:${encodeURIComponent(relation)}${column === undefined ? '' : `:${encodeURIComponent(column)}`}`;
  const usedRelations = manifest.sources.flatMap((s) =>
    (s.relations ?? [s.name]).map((r) => ({
      '@id': sourceIri(s.connection.name, r),
      '@type': 'prov:Entity',
    })),
  );
  const agent = {
    '@type': 'prov:Agent',
    'prov:label': manifest.identity.subject,
    ...(manifest.identity.on_behalf_of
      ? { 'prov:actedOnBehalfOf': { '@type': 'prov:Agent', 'prov:label': manifest.identity.on_behalf_of } }
      : {}),
  };
  const distribution = manifest.outputs.flatMap((o) =>
    o.files.map((f) => ({
      '@type': 'cr:FileObject',
      '@id': f.path,
      name: f.path,
      contentUrl: f.path,
      encodingFormat: mediaTypeOf(o.format),
      contentSize: `${f.bytes} B`,
      sha256: f.sha256,
    })),
  );
  const maskedColumns = manifest.outputs.flatMap((o) =>
    o.columns
      .filter((c) => c.masks.length > 0)
      .map(
        (c) =>
          `${c.name}: ${c.masks.map(describeMask).join(' then ')} (${c.masks.map((m) => `${m.source}.${m.column}`).join(', ')}, ${c.masks.map((m) => m.origin).join('/')})`,
      ),
  );
  const sourcesText = manifest.sources
    .map(
      (s) =>
        `${s.name} (connection ${s.connection.name}, ${s.connection.type}; ${s.rows} rows${s.relations ? `; relations ${s.relations.join(', ')}` : ''})`,
    )
    .join('; ');
  return {
    '@context': CROISSANT_CONTEXT,
    '@type': 'sc:Dataset',
    '@id': `urn:sluice:dataset:sha256:${manifest.dataset.digest}`,
    name: manifest.run.pipeline.name,
    description:
      options.description ??
      `Training set produced by Sluice pipeline ${manifest.run.pipeline.name} (run ${manifest.run.id}) for purpose ${manifest.purpose ?? 'unspecified'}.`,
    conformsTo: ['http://mlcommons.org/croissant/1.1', 'http://mlcommons.org/croissant/RAI/1.0'],
    ...(options.license ? { license: options.license } : {}),
    ...(options.url ? { url: options.url } : {}),
    version: '1.0.0',
    datePublished: manifest.run.finished_at,
    ...(manifest.run.pipeline.owner
      ? { maintainer: { '@type': 'sc:Person', email: manifest.run.pipeline.owner } }
      : {}),
    distribution,
    recordSet: manifest.outputs.map((o) => recordSet(o, manifest, sourceIri)),
    'rai:dataCollection': `Extracted from production databases through Sluice's identity-checked proxy by ${manifest.identity.subject} (${manifest.identity.method}, ${manifest.identity.verified ? 'verified' : 'unverified'}) for purpose ${manifest.purpose ?? 'unspecified'}. Sources: ${sourcesText}.`,
    'rai:dataCollectionType': ['Software Collection', 'Secondary Data Analysis'],
    'rai:dataCollectionTimeframe': [manifest.run.started_at, manifest.run.finished_at],
    'rai:personalSensitiveInformation':
      maskedColumns.length > 0
        ? maskedColumns.map((c) => `Masked before leaving the proxy: ${c}`)
        : ['No column of this dataset was masked by Sluice.'],
    'rai:dataPreprocessingProtocol': [
      ...manifest.sources.flatMap((s) =>
        s.masks.map(
          (m) =>
            `${s.name}.${m.column}: ${describeMask(m)}, origin ${m.origin}, ${m.rows} rows, ${m.nulls} nulls`,
        ),
      ),
      ...(manifest.select
        ? [
            `SQL over the masked sources (sha256 ${manifest.select.query_sha256}): ${manifest.select.query.trim()}`,
          ]
        : []),
    ],
    'prov:wasDerivedFrom': usedRelations.map((r) => ({ '@id': r['@id'] })),
    'prov:wasAttributedTo': agent,
    'prov:wasGeneratedBy': {
      '@type': 'prov:Activity',
      '@id': runIri,
      'prov:label': `Sluice run ${manifest.run.id} of ${manifest.run.pipeline.name}`,
      'prov:startedAtTime': manifest.run.started_at,
      'prov:endedAtTime': manifest.run.finished_at,
      'prov:wasAssociatedWith': agent,
      'prov:used': usedRelations,
    },
  };
}

function recordSet(
  output: ManifestOutput,
  manifest: Manifest,
  sourceIri: (connection: string, relation: string, column?: string) => string,
) {
  const single = output.files.length === 1 ? output.files[0] : undefined;
  const rs = output.name;
  return {
    '@type': 'cr:RecordSet',
    '@id': rs,
    name: rs,
    description: `${output.rows} rows in ${output.files.length} ${output.format} file(s); digest sha256 ${output.digest}.`,
    field: output.columns.map((c) => {
      const type = output.schema.find((s) => s.name === c.name)?.type ?? '';
      const derivedFrom = c.lineage.flatMap((l) => {
        const source = manifest.sources.find((s) => s.name === l.source);
        if (l.upstream.length === 0)
          return [sourceIri(source?.connection.name ?? 'unknown', l.source, l.column)];
        return l.upstream.map((u) => sourceIri(u.connection, u.relation, u.column));
      });
      return {
        '@type': 'cr:Field',
        '@id': `${rs}/${c.name}`,
        name: c.name,
        ...(c.masks.length > 0
          ? { description: `Masked: ${c.masks.map(describeMask).join(' then ')}.` }
          : {}),
        dataType: dataTypeOf(type),
        source: {
          ...(single
            ? { fileObject: { '@id': single.path } }
            : { fileObject: output.files.map((f) => ({ '@id': f.path })) }),
          extract: { column: c.name },
        },
        ...(derivedFrom.length > 0
          ? { 'prov:wasDerivedFrom': derivedFrom.map((id) => ({ '@id': id })) }
          : {}),
      };
    }),
  };
}

function dataTypeOf(arrowType: string): string {
  if (/^u?int\d*/i.test(arrowType)) return 'sc:Integer';
  if (/^(float|double|decimal)/i.test(arrowType)) return 'sc:Float';
  if (/^bool/i.test(arrowType)) return 'sc:Boolean';
  if (/^date/i.test(arrowType)) return 'sc:Date';
  if (/^timestamp/i.test(arrowType)) return 'sc:DateTime';
  return 'sc:Text';
}
