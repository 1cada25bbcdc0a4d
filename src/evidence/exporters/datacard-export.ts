import { stringify } from 'yaml';
import type { Manifest } from '../manifest/manifest-schema.js';
import { manifestDigest } from '../manifest/sign-manifest.js';
import { describeMask } from './describe-mask.js';

export interface DatacardOptions {
  /** Hub license id (e.g. `apache-2.0`, `other`); omitted when not given. */
  license?: string;
  /** Where the card links the manifest (default `manifest.json`). */
  manifestUri?: string;
}

/**
 * A Hugging Face dataset card (README.md): YAML metadata per the Hub's dataset card spec, and the
 * template's sections filled from the manifest, with the personal and sensitive information
 * section listing every mask.
 */
export function toDatacard(manifest: Manifest, options: DatacardOptions = {}): string {
  const name = manifest.run.pipeline.name;
  const meta: Record<string, unknown> = {
    pretty_name: name,
    ...(options.license ? { license: options.license } : {}),
    tags: ['sluice', 'masked', 'training-data'],
    size_categories: [sizeCategory(manifest.dataset.rows)],
    configs: manifest.outputs.map((o, i) => ({
      config_name: i === 0 ? 'default' : slug(o.name),
      data_files: splitsOf(o).map((s) => ({ split: s.name, path: s.files.map((f) => f.path) })),
    })),
    dataset_info: manifest.outputs.map((o, i) => ({
      config_name: i === 0 ? 'default' : slug(o.name),
      features: o.schema.map((c) => ({ name: c.name, dtype: hfDtype(c.type) })),
      splits: splitsOf(o).map((s) => ({
        name: s.name,
        num_bytes: s.files.reduce((n, f) => n + f.bytes, 0),
        num_examples: s.files.reduce((n, f) => n + f.rows, 0),
      })),
      download_size: o.bytes,
      dataset_size: o.bytes,
    })),
    usage_manifest: { uri: options.manifestUri ?? 'manifest.json', sha256: manifestDigest(manifest) },
  };
  const id = manifest.identity;
  const lines: string[] = [
    '---',
    stringify(meta, { lineWidth: 0 }).trimEnd(),
    '---',
    '',
    `# Dataset Card for ${name}`,
    '',
    '## Dataset Details',
    '',
    '### Dataset Description',
    '',
    `Produced by the Sluice pipeline \`${name}\` (run \`${manifest.run.id}\`, Sluice ${manifest.run.sluice_version}) on ${manifest.run.finished_at}.`,
    `${manifest.dataset.rows} rows in ${manifest.dataset.files} file(s), ${manifest.dataset.bytes} bytes; dataset digest \`${manifest.dataset.digest}\` (${manifest.dataset.digest_algorithm}).`,
    '',
    `- **Curated by:** ${manifest.run.pipeline.owner ?? '[More Information Needed]'}`,
    `- **Usage manifest:** \`${options.manifestUri ?? 'manifest.json'}\` (sha256 of its RFC 8785 form \`${manifestDigest(manifest)}\`); check with \`pipeline manifest verify\`.`,
    '',
    '## Uses',
    '',
    '### Direct Use',
    '',
    `Extracted for the declared purpose \`${manifest.purpose ?? 'unspecified'}\`. Use outside that purpose may not be covered by the policy that authorised the extraction.`,
    '',
    '## Dataset Structure',
    '',
    ...manifest.outputs.flatMap((o) => [
      `Output \`${o.name}\` (${o.format}, ${o.rows} rows):`,
      '',
      '| column | type | derived from | masking |',
      '|---|---|---|---|',
      ...o.columns.map((c) => {
        const type = o.schema.find((s) => s.name === c.name)?.type ?? '';
        const from = c.lineage.map((l) => `${l.source}.${l.column}`).join(', ') || 'unknown';
        const masks = c.masks.map(describeMask).join(' then ') || 'none';
        return `| ${cell(c.name)} | ${cell(type)} | ${cell(from)} | ${cell(masks)} |`;
      }),
      '',
      ...(o.dropped && o.dropped.length > 0
        ? [
            `Rows removed by the output stages: ${o.dropped.map((d) => `${d.rows} (${d.stage}, ${d.reason})`).join(', ')}.`,
            '',
          ]
        : []),
    ]),
    '## Dataset Creation',
    '',
    '### Source Data',
    '',
    '#### Data Collection and Processing',
    '',
    `Extracted by \`${id.subject}\` (issuer \`${id.issuer}\`, method \`${id.method}\`, ${id.verified ? 'verified' : 'not verified'}${id.on_behalf_of ? `, on behalf of \`${id.on_behalf_of}\`` : ''}${id.agent ? `, agent \`${id.agent.id}\`` : ''}) through Sluice's identity-checked proxy${manifest.policy ? ` under policy \`${manifest.policy.path}\` (sha256 \`${manifest.policy.sha256}\`)` : ''}${manifest.approvals.length > 0 ? ` with approvals ${manifest.approvals.map((a) => `\`${a.id}\` by ${a.approver}`).join(', ')}` : ''}.`,
    '',
    ...manifest.sources.map(
      (s) =>
        `- \`${s.name}\`: connection \`${s.connection.name}\` (${s.connection.type}), ${s.rows} rows${s.relations ? `, relations ${s.relations.map((r) => `\`${r}\``).join(', ')}` : ''}, query fingerprint \`${s.query_fingerprint ?? 'n/a'}\`${s.snapshot ? `, snapshot \`${JSON.stringify(s.snapshot)}\`` : ''}.`,
    ),
    ...(manifest.select
      ? [
          '',
          'The masked sources were then combined with this SQL:',
          '',
          '```sql',
          manifest.select.query.trim(),
          '```',
        ]
      : []),
    '',
    '#### Who are the source data producers?',
    '',
    '[More Information Needed]',
    '',
    '#### Personal and Sensitive Information',
    '',
    ...personalSection(manifest),
    '',
    '## Bias, Risks, and Limitations',
    '',
    'Keyed tokens (`hmac`) are pseudonyms, not anonymisation: whoever holds the key id named above can link them back to the original values. Masks hide values, not the existence of a record.',
    ...incompleteLineage(manifest),
    '',
    '## Dataset Card Contact',
    '',
    manifest.run.pipeline.owner ?? '[More Information Needed]',
    '',
  ];
  return lines.join('\n');
}

function personalSection(manifest: Manifest): string[] {
  const rows = manifest.sources.flatMap((s) =>
    s.masks.map(
      (m) =>
        `| ${cell(`${s.name}.${m.column}`)} | ${cell(describeMask(m))} | ${m.origin} | ${m.rows} | ${m.nulls} |`,
    ),
  );
  if (rows.length === 0)
    return ['Sluice applied no mask to this dataset. Review it for personal data before use.'];
  return [
    'These source columns were masked inside the extraction proxy, before any value left it. Key ids are named; key material is never recorded.',
    '',
    '| source column | mask | required by | rows | nulls |',
    '|---|---|---|---|---|',
    ...rows,
  ];
}

function incompleteLineage(manifest: Manifest): string[] {
  const cols = manifest.outputs.flatMap((o) =>
    o.columns.filter((c) => !c.lineage_complete).map((c) => c.name),
  );
  return cols.length === 0
    ? []
    : ['', `The lineage of ${cols.map((c) => `\`${c}\``).join(', ')} could not be traced completely.`];
}

const SHARD_FILE = /(?:^|\/)([a-z][a-z0-9_]*)-\d{5}-of-\d{5}\.[a-z0-9]+$/;

/**
 * The Hub splits of an output: by shard file name (`data/{split}-00000-of-00001.parquet`) when every
 * file follows that layout, else all files as `train`.
 */
function splitsOf(
  o: Manifest['outputs'][number],
): { name: string; files: Manifest['outputs'][number]['files'] }[] {
  const names = o.files.map((f) => SHARD_FILE.exec(f.path)?.[1]);
  if (o.files.length === 0 || names.some((n) => n === undefined)) return [{ name: 'train', files: o.files }];
  const splits = new Map<string, Manifest['outputs'][number]['files']>();
  o.files.forEach((f, i) => {
    const name = names[i] as string;
    splits.set(name, [...(splits.get(name) ?? []), f]);
  });
  return [...splits].map(([name, files]) => ({ name, files }));
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

function slug(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]+/g, '_');
}

function sizeCategory(rows: number): string {
  const bounds: [number, string][] = [
    [1e3, 'n<1K'],
    [1e4, '1K<n<10K'],
    [1e5, '10K<n<100K'],
    [1e6, '100K<n<1M'],
    [1e7, '1M<n<10M'],
    [1e8, '10M<n<100M'],
    [1e9, '100M<n<1B'],
    [1e10, '1B<n<10B'],
  ];
  return bounds.find(([limit]) => rows < limit)?.[1] ?? 'n>1T';
}

/** The Hugging Face `datasets` dtype of an Arrow type as Sluice prints it. */
function hfDtype(arrowType: string): string {
  const m = /^(u?)int(\d+)/i.exec(arrowType);
  if (m) return `${m[1] ? 'uint' : 'int'}${m[2]}`;
  if (/^float16/i.test(arrowType)) return 'float16';
  if (/^float32|^float$/i.test(arrowType)) return 'float32';
  if (/^(float64|double)/i.test(arrowType)) return 'float64';
  if (/^bool/i.test(arrowType)) return 'bool';
  if (/^date/i.test(arrowType)) return 'date32';
  const ts = /^Timestamp<(\w+)(?:, (.+))?>/i.exec(arrowType);
  if (ts) {
    const unit =
      { SECOND: 's', MILLISECOND: 'ms', MICROSECOND: 'us', NANOSECOND: 'ns' }[ts[1]?.toUpperCase() ?? ''] ??
      'us';
    return ts[2] ? `timestamp[${unit}, tz=${ts[2]}]` : `timestamp[${unit}]`;
  }
  if (/^(large)?utf8/i.test(arrowType)) return 'string';
  if (/^(large)?binary/i.test(arrowType)) return 'binary';
  return 'string';
}
