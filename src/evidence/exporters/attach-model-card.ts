import { parse, stringify } from 'yaml';
import { SluiceError } from '../../core/errors.js';
import type { Manifest } from '../manifest/manifest-schema.js';
import { manifestDigest } from '../manifest/sign-manifest.js';
import { describeMask } from './describe-mask.js';

export interface AttachOptions {
  /** How the card refers to the manifest: a path relative to the card, or a URL. */
  uri: string;
}

/** One manifest reference in the model card's `usage_manifest` metadata. */
export interface UsageManifestRef {
  uri: string;
  /** SHA-256 of the manifest's RFC 8785 canonical form (what `pipeline manifest verify` prints). */
  sha256: string;
}

const FRONT = /^---\r?\n([\s\S]*?)\r?\n---\r?\n/;

/**
 * Adds or updates, idempotently, a manifest's training-data provenance section (between marker
 * comments naming the manifest) and its entry in the `usage_manifest` list of the YAML front
 * matter. Everything else in the card stays byte-for-byte as it was.
 *
 * @example writeFile('README.md', attachToModelCard(await readFile('README.md', 'utf8'), manifest, { uri: '../data/manifest.json' }))
 */
export function attachToModelCard(card: string, manifest: Manifest, options: AttachOptions): string {
  const ref: UsageManifestRef = { uri: options.uri, sha256: manifestDigest(manifest) };
  return upsertSection(upsertFrontMatter(card, ref), options.uri, provenanceSection(manifest, ref));
}

function upsertFrontMatter(card: string, ref: UsageManifestRef): string {
  const match = FRONT.exec(card);
  if (!match) return `---\n${usageBlock([ref])}---\n${card}`;
  const body = match[1] ?? '';
  const eol = match[0].includes('\r\n') ? '\r\n' : '\n';
  const lines = body.split(/\r?\n/);
  const start = lines.findIndex((l) => /^usage_manifest\s*:/.test(l));
  let refs: UsageManifestRef[] = [ref];
  let before = lines;
  let after: string[] = [];
  if (start >= 0) {
    // The block runs over indented lines and list items at column 0 (YAML allows both under a key).
    let end = start + 1;
    while (end < lines.length && /^(\s+\S|-\s|-$)/.test(lines[end] ?? '')) end++;
    let existing: unknown;
    try {
      existing = parse(lines.slice(start, end).join('\n'))?.usage_manifest;
    } catch (cause) {
      throw new SluiceError(
        'USAGE',
        'The model card\u2019s `usage_manifest` metadata is not valid YAML. Fix or remove it and attach again.',
        { cause },
      );
    }
    const list = (Array.isArray(existing) ? existing : existing ? [existing] : []).filter(
      (r): r is UsageManifestRef => typeof r === 'object' && r !== null && typeof r.uri === 'string',
    );
    refs = list.some((r) => r.uri === ref.uri)
      ? list.map((r) =>
          r.uri === ref.uri ? { uri: r.uri, sha256: ref.sha256 } : { uri: r.uri, sha256: String(r.sha256) },
        )
      : [...list.map((r) => ({ uri: r.uri, sha256: String(r.sha256) })), ref];
    before = lines.slice(0, start);
    after = lines.slice(end);
  }
  const block = usageBlock(refs).trimEnd().split('\n');
  const newBody = [...before, ...block, ...after].join(eol);
  return `---${eol}${newBody}${eol}---${eol}${card.slice(match[0].length)}`;
}

function usageBlock(refs: UsageManifestRef[]): string {
  return stringify({ usage_manifest: refs.map((r) => ({ uri: r.uri, sha256: r.sha256 })) }, { lineWidth: 0 });
}

function markers(uri: string): { start: string; end: string } {
  const safe = uri.replaceAll('--', '\\-\\-');
  return {
    start: `<!-- sluice:training-data:start ${safe} -->`,
    end: `<!-- sluice:training-data:end ${safe} -->`,
  };
}

function upsertSection(card: string, uri: string, section: string): string {
  const { start, end } = markers(uri);
  const i = card.indexOf(start);
  const j = i < 0 ? -1 : card.indexOf(end, i);
  const block = `${start}\n${section}${end}`;
  if (i >= 0 && j >= 0) return `${card.slice(0, i)}${block}${card.slice(j + end.length)}`;
  const sep = card.length === 0 || card.endsWith('\n\n') ? '' : card.endsWith('\n') ? '\n' : '\n\n';
  return `${card}${sep}${block}\n`;
}

function provenanceSection(manifest: Manifest, ref: UsageManifestRef): string {
  const id = manifest.identity;
  const masked = manifest.outputs.flatMap((o) =>
    o.columns
      .filter((c) => c.masks.length > 0)
      .map((c) => `\`${c.name}\` (${c.masks.map(describeMask).join(' then ')})`),
  );
  return [
    `## Training data provenance: ${manifest.run.pipeline.name}`,
    '',
    `- **Usage manifest:** [\`${ref.uri}\`](${ref.uri}) (sha256 of its RFC 8785 form \`${ref.sha256}\`)`,
    `- **Dataset digest:** \`${manifest.dataset.digest}\` (${manifest.dataset.files} files, ${manifest.dataset.rows} rows)`,
    `- **Run:** \`${manifest.run.id}\`, ${manifest.run.started_at} to ${manifest.run.finished_at}, Sluice ${manifest.run.sluice_version}`,
    `- **Extracted by:** \`${id.subject}\` (${id.method}, ${id.verified ? 'verified' : 'not verified'})${id.on_behalf_of ? ` on behalf of \`${id.on_behalf_of}\`` : ''}`,
    `- **Purpose:** ${manifest.purpose ?? 'unspecified'}`,
    ...(manifest.policy
      ? [`- **Policy:** \`${manifest.policy.path}\` (sha256 \`${manifest.policy.sha256}\`)`]
      : []),
    `- **Sources:** ${manifest.sources.map((s) => `\`${s.connection.name}\`: ${(s.relations ?? [s.name]).map((r) => `\`${r}\``).join(', ')}`).join('; ')}`,
    `- **Masked columns:** ${masked.length > 0 ? masked.join(', ') : 'none'}`,
    '',
    'Verify the dataset files against the manifest with `pipeline manifest verify <manifest.json> --public-key <key.pem>`.',
    '',
  ].join('\n');
}
