import { posix } from 'node:path';
import type { Manifest, ManifestOutput, ManifestSource } from '../manifest/manifest-schema.js';
import { manifestDigest } from '../manifest/sign-manifest.js';
import { openLineageRunId } from './openlineage-run-id.js';
import { DEFAULT_FACET_SCHEMA_BASE, facetSchemaUrl } from './sluice-facets.js';

export const OPENLINEAGE_SCHEMA_URL = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';

/** The `_schemaURL` of each standard facet, as the `$id` of its spec file (facet versions of 2-0-2). */
const FACET_URLS = {
  sql: 'https://openlineage.io/spec/facets/1-1-0/SQLJobFacet.json#/$defs/SQLJobFacet',
  jobType: 'https://openlineage.io/spec/facets/2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet',
  schema: 'https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet',
  dataSource:
    'https://openlineage.io/spec/facets/1-0-1/DatasourceDatasetFacet.json#/$defs/DatasourceDatasetFacet',
  columnLineage:
    'https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet',
  version:
    'https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet',
  outputStatistics:
    'https://openlineage.io/spec/facets/1-0-2/OutputStatisticsOutputDatasetFacet.json#/$defs/OutputStatisticsOutputDatasetFacet',
  inputStatistics:
    'https://openlineage.io/spec/facets/1-0-0/InputStatisticsInputDatasetFacet.json#/$defs/InputStatisticsInputDatasetFacet',
  processing_engine:
    'https://openlineage.io/spec/facets/1-1-1/ProcessingEngineRunFacet.json#/$defs/ProcessingEngineRunFacet',
} as const;

export interface OpenLineageOptions {
  /** Job namespace (default `sluice`). */
  namespace?: string;
  /** URI of the producer (default `urn:sluice:<version>`). Set a URL of your deployment if you have one. */
  producer?: string;
  /** Base of the custom facets' `_schemaURL` (default {@link DEFAULT_FACET_SCHEMA_BASE}). */
  facetSchemaBase?: string;
  /** Absolute directory of the manifest: output dataset names are file paths under it. */
  manifestDir?: string;
  /** Namespace of the output files (default `file`). */
  outputNamespace?: string;
  /** Namespace per connection name; default `<type>://<name>` (the host is not in the manifest). */
  connectionNamespaces?: Record<string, string>;
}

export type OpenLineageEvent = Record<string, unknown> & { eventType: string; eventTime: string };

/**
 * The OpenLineage 2-0-2 RunEvents of a manifest: START (job, inputs, identity) and COMPLETE, FAIL
 * or ABORT (outputs with schema, column lineage, masking, version and statistics).
 *
 * @example for (const e of toOpenLineage(manifest)) console.log(JSON.stringify(e));
 */
export function toOpenLineage(manifest: Manifest, options: OpenLineageOptions = {}): OpenLineageEvent[] {
  const producer = options.producer ?? `urn:sluice:${manifest.run.sluice_version}`;
  const base = options.facetSchemaBase ?? DEFAULT_FACET_SCHEMA_BASE;
  const facet = (schemaURL: string, body: Record<string, unknown>) => ({
    _producer: producer,
    _schemaURL: schemaURL,
    ...body,
  });
  const connectionNs = (source: ManifestSource) =>
    options.connectionNamespaces?.[source.connection.name] ??
    `${source.connection.type}://${source.connection.name}`;
  const outputNs = options.outputNamespace ?? 'file';

  const inputs = manifest.sources.flatMap((source) => inputDatasets(source, connectionNs(source), facet));
  const inputOf = (source: string, relation: string | undefined) => {
    const s = manifest.sources.find((x) => x.name === source);
    return { namespace: s ? connectionNs(s) : 'unknown', name: relation ?? s?.relations?.[0] ?? source };
  };

  const job = {
    namespace: options.namespace ?? 'sluice',
    name: manifest.run.pipeline.name,
    facets: {
      jobType: facet(FACET_URLS.jobType, { processingType: 'BATCH', integration: 'SLUICE', jobType: 'JOB' }),
      ...jobSql(manifest, facet),
    },
  };
  const runId = openLineageRunId(manifest.run.id, manifest.run.started_at);
  const runFacets = {
    processing_engine: facet(FACET_URLS.processing_engine, {
      name: 'Sluice',
      version: manifest.run.sluice_version,
    }),
    sluice_identity: facet(facetSchemaUrl(base, 'SluiceIdentityRunFacet'), identityFacet(manifest)),
  };
  const outputs = manifest.outputs.map((output) => ({
    namespace: outputNs,
    name:
      output.path === undefined
        ? `${output.connection ?? ''}.${output.table ?? output.name}`
        : options.manifestDir
          ? posix.join(options.manifestDir, output.path)
          : output.path,
    facets: {
      schema: facet(FACET_URLS.schema, schemaFields(output.schema)),
      dataSource: facet(FACET_URLS.dataSource, {
        name: outputNs,
        ...(options.manifestDir ? { uri: `file://${options.manifestDir}` } : {}),
      }),
      columnLineage: facet(FACET_URLS.columnLineage, columnLineage(output, inputOf)),
      version: facet(FACET_URLS.version, { datasetVersion: output.digest }),
      sluice_masking: facet(facetSchemaUrl(base, 'SluiceMaskingDatasetFacet'), maskingFacet(output)),
    },
    outputFacets: {
      outputStatistics: facet(FACET_URLS.outputStatistics, {
        rowCount: output.rows,
        size: output.bytes,
        fileCount: output.files.length,
      }),
    },
  }));
  const common = { producer, schemaURL: OPENLINEAGE_SCHEMA_URL, job };
  const end = { succeeded: 'COMPLETE', failed: 'FAIL', cancelled: 'ABORT' }[manifest.run.status];
  return [
    {
      eventType: 'START',
      eventTime: manifest.run.started_at,
      ...common,
      run: { runId, facets: runFacets },
      inputs,
      outputs: outputs.map(({ namespace, name }) => ({ namespace, name })),
    },
    {
      eventType: end,
      eventTime: manifest.run.finished_at,
      ...common,
      run: { runId, facets: runFacets },
      inputs,
      outputs,
    },
  ];
}

type Facet = (schemaURL: string, body: Record<string, unknown>) => Record<string, unknown>;

function inputDatasets(source: ManifestSource, namespace: string, facet: Facet) {
  const relations = source.relations && source.relations.length > 0 ? source.relations : [source.name];
  return relations.map((name) => {
    const read = source.columns_read?.find((c) => c.relation === name);
    // The extracted schema describes the relation only when the source reads exactly one.
    const fields = relations.length === 1 ? source.schema : (read?.columns ?? []).map((c) => ({ name: c }));
    return {
      namespace,
      name,
      facets: {
        schema: facet(FACET_URLS.schema, schemaFields(fields)),
        dataSource: facet(FACET_URLS.dataSource, { name: source.connection.name, uri: namespace }),
      },
      inputFacets: {
        inputStatistics: facet(FACET_URLS.inputStatistics, { rowCount: source.rows, size: source.bytes }),
      },
    };
  });
}

function jobSql(manifest: Manifest, facet: Facet): Record<string, unknown> {
  if (manifest.select)
    return { sql: facet(FACET_URLS.sql, { query: manifest.select.query, dialect: 'duckdb' }) };
  const [only, ...more] = manifest.sources;
  if (only && more.length === 0) return { sql: facet(FACET_URLS.sql, { query: only.query }) };
  return {};
}

function schemaFields(columns: { name: string; type?: string }[]) {
  return {
    fields: columns.map((c, i) => ({
      name: c.name,
      ...(c.type === undefined ? {} : { type: c.type }),
      ordinal_position: i + 1,
    })),
  };
}

function columnLineage(
  output: ManifestOutput,
  inputOf: (source: string, relation: string | undefined) => { namespace: string; name: string },
) {
  const fields: Record<string, { inputFields: Record<string, unknown>[] }> = {};
  for (const column of output.columns) {
    const inputFields = column.lineage.flatMap((l) => {
      const masks = column.masks.filter((m) => m.source === l.source && m.column === l.column);
      const transformation = {
        type: 'DIRECT',
        subtype: column.derived || masks.length > 0 ? 'TRANSFORMATION' : 'IDENTITY',
        masking: masks.length > 0,
        ...(masks.length > 0
          ? { description: masks.map((m) => (m.key_id ? `${m.mask} (key ${m.key_id})` : m.mask)).join(', ') }
          : {}),
      };
      const upstream =
        l.upstream.length > 0
          ? l.upstream
          : [{ relation: undefined as string | undefined, column: l.column }];
      return upstream.map((u) => ({
        ...inputOf(l.source, u.relation),
        field: u.column,
        transformations: [transformation],
      }));
    });
    if (inputFields.length > 0) fields[column.name] = { inputFields };
  }
  return { fields };
}

function maskingFacet(output: ManifestOutput) {
  const fields: Record<string, unknown[]> = {};
  for (const column of output.columns) {
    if (column.masks.length === 0) continue;
    fields[column.name] = column.masks.map((m) => ({
      mask: m.mask,
      ...(m.key_id === undefined ? {} : { keyId: m.key_id }),
      params: m.params,
      origin: m.origin,
      source: m.source,
      sourceColumn: m.column,
    }));
  }
  return { fields };
}

function identityFacet(manifest: Manifest) {
  const id = manifest.identity;
  return {
    subject: id.subject,
    issuer: id.issuer,
    method: id.method,
    groups: id.groups,
    verified: id.verified,
    ...(id.on_behalf_of === undefined ? {} : { onBehalfOf: id.on_behalf_of }),
    ...(id.agent === undefined ? {} : { agent: id.agent }),
    ...(manifest.purpose === null ? {} : { purpose: manifest.purpose }),
    ...(manifest.policy === undefined ? {} : { policySha256: manifest.policy.sha256 }),
    approvals: manifest.approvals.map((a) => a.id),
    manifestSha256: manifestDigest(manifest),
  };
}
