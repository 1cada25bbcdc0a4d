import { SluiceError } from '../../core/errors.js';
import { canonicalJson, sha256Hex } from '../canonical-json.js';
import { datasetDigest } from './dataset-digest.js';
import type { Manifest, ManifestMask, ManifestOutput, ManifestSource } from './manifest-schema.js';
import { manifestDigest } from './sign-manifest.js';

export interface ShardManifest {
  manifest: Manifest;
  /** Rewrites a file path of this shard's manifest to a path relative to the merged manifest. */
  relocate: (path: string) => string;
}

/**
 * Combines the manifests of the N shards of one run (`pipeline run --shard K/N`) into the
 * dataset's manifest. Refuses shards that do not belong together (pipeline, identity, purpose,
 * policy, queries, output schemas) or that do not cover 0..N-1 exactly once. Row, byte and mask
 * counts are summed; files are the union, so `dataset.digest` equals that of a single run
 * writing the same files.
 */
export function mergeManifests(shards: readonly ShardManifest[]): Manifest {
  const first = shards[0]?.manifest;
  if (!first) throw new SluiceError('USAGE', 'Give at least one shard manifest to merge.');
  const count = first.run.shard?.count;
  const seen = new Set<number>();
  for (const { manifest: m } of shards) {
    if (!m.run.shard)
      throw mismatch(`run \`${m.run.id}\` is not a shard (its manifest has no \`run.shard\`)`);
    if (m.run.shard.count !== count)
      throw mismatch(
        `run \`${m.run.id}\` is shard ${m.run.shard.index}/${m.run.shard.count}, not of ${count}`,
      );
    if (seen.has(m.run.shard.index)) throw mismatch(`shard ${m.run.shard.index}/${count} is given twice`);
    seen.add(m.run.shard.index);
    for (const [what, a, b] of [
      ['pipeline', first.run.pipeline.sha256, m.run.pipeline.sha256],
      ['identity', canonicalJson(first.identity), canonicalJson(m.identity)],
      ['purpose', String(first.purpose), String(m.purpose)],
      ['policy', first.policy?.sha256 ?? '', m.policy?.sha256 ?? ''],
      ['select query', first.select?.query_sha256 ?? '', m.select?.query_sha256 ?? ''],
      [
        'source queries',
        canonicalJson(first.sources.map((s) => [s.name, s.query_sha256])),
        canonicalJson(m.sources.map((s) => [s.name, s.query_sha256])),
      ],
      [
        'output schemas',
        canonicalJson(first.outputs.map((o) => [o.name, o.schema])),
        canonicalJson(m.outputs.map((o) => [o.name, o.schema])),
      ],
    ] as const) {
      if (a !== b) throw mismatch(`run \`${m.run.id}\` has a different ${what} than run \`${first.run.id}\``);
    }
  }
  const missing = Array.from({ length: count ?? 0 }, (_, i) => i).filter((i) => !seen.has(i));
  if (missing.length > 0)
    throw mismatch(`shard(s) ${missing.map((i) => `${i}/${count}`).join(', ')} missing`);

  const ordered = [...shards].sort(
    (a, b) => (a.manifest.run.shard?.index ?? 0) - (b.manifest.run.shard?.index ?? 0),
  );
  const sources = first.sources.map((s) =>
    mergeSource(
      ordered.map(({ manifest }) => manifest.sources.find((x) => x.name === s.name) as ManifestSource),
    ),
  );
  const outputs = first.outputs.map((o) => mergeOutput(o, ordered, sources));
  const files = outputs.flatMap((o) => o.files);
  const runs = ordered.map((s) => s.manifest.run);
  const started = runs.map((r) => r.started_at).sort()[0] ?? first.run.started_at;
  const finished =
    runs
      .map((r) => r.finished_at)
      .sort()
      .at(-1) ?? first.run.finished_at;
  const statuses = new Set(runs.map((r) => r.status));
  const approvals = new Map(ordered.flatMap((s) => s.manifest.approvals.map((a) => [a.id, a] as const)));
  return {
    manifest_version: first.manifest_version,
    run: {
      id: `merged-${sha256Hex(canonicalJson(runs.map((r) => r.id))).slice(0, 16)}`,
      pipeline: first.run.pipeline,
      sluice_version: first.run.sluice_version,
      started_at: started,
      finished_at: finished,
      duration_ms: Math.max(0, Date.parse(finished) - Date.parse(started)),
      status: statuses.has('failed') ? 'failed' : statuses.has('cancelled') ? 'cancelled' : 'succeeded',
      host: [...new Set(runs.map((r) => r.host))].join(','),
    },
    identity: first.identity,
    purpose: first.purpose,
    ...(first.policy ? { policy: first.policy } : {}),
    approvals: [...approvals.values()],
    sources,
    ...(first.select ? { select: first.select } : {}),
    outputs,
    dataset: {
      digest_algorithm: first.dataset.digest_algorithm,
      digest: datasetDigest(files),
      files: files.length,
      bytes: files.reduce((n, f) => n + f.bytes, 0),
      rows: outputs.reduce((n, o) => n + o.rows, 0),
    },
    merged_from: ordered.map(({ manifest }) => ({
      run_id: manifest.run.id,
      shard: `${manifest.run.shard?.index}/${manifest.run.shard?.count}`,
      manifest_sha256: manifestDigest(manifest),
    })),
  };
}

function mismatch(what: string): SluiceError {
  return new SluiceError(
    'USAGE',
    `The shard manifests cannot be merged: ${what}. Merge the manifests of one sharded run only.`,
  );
}

const maskKey = (m: Pick<ManifestMask, 'column' | 'mask' | 'key_id' | 'origin' | 'params'>) =>
  canonicalJson([m.column, m.mask, m.key_id ?? null, m.origin, m.params]);

function mergeSource(parts: ManifestSource[]): ManifestSource {
  const [head] = parts as [ManifestSource, ...ManifestSource[]];
  const masks = new Map<string, ManifestMask>();
  for (const m of parts.flatMap((p) => p.masks)) {
    const prev = masks.get(maskKey(m));
    masks.set(
      maskKey(m),
      prev ? { ...prev, rows: prev.rows + m.rows, nulls: prev.nulls + m.nulls } : { ...m },
    );
  }
  const snapshots = new Set(parts.map((p) => canonicalJson(p.snapshot)));
  return {
    ...head,
    snapshot: snapshots.size === 1 ? head.snapshot : { shards: parts.map((p) => p.snapshot) },
    rows: parts.reduce((n, p) => n + p.rows, 0),
    bytes: parts.reduce((n, p) => n + p.bytes, 0),
    duration_ms: Math.max(...parts.map((p) => p.duration_ms)),
    masks: [...masks.values()],
  };
}

function mergeOutput(
  template: ManifestOutput,
  shards: ShardManifest[],
  sources: ManifestSource[],
): ManifestOutput {
  const files = shards.flatMap(({ manifest, relocate }) =>
    (manifest.outputs.find((o) => o.name === template.name)?.files ?? []).map((f) => ({
      ...f,
      path: relocate(f.path),
    })),
  );
  const paths = new Set<string>();
  for (const f of files) {
    if (paths.has(f.path)) throw mismatch(`two shards list the same file \`${f.path}\``);
    paths.add(f.path);
  }
  const merged = new Map(
    sources.flatMap((s) => s.masks.map((m) => [`${s.name}\u0000${maskKey(m)}`, m] as const)),
  );
  return {
    ...template,
    ...(template.path === undefined
      ? {}
      : { path: shards[0] ? shards[0].relocate(template.path) : template.path }),
    rows: files.reduce((n, f) => n + f.rows, 0),
    bytes: files.reduce((n, f) => n + f.bytes, 0),
    files,
    digest: datasetDigest(files),
    columns: template.columns.map((c) => ({
      ...c,
      masks: c.masks.map((m) => ({
        ...(merged.get(`${m.source}\u0000${maskKey(m)}`) ?? m),
        source: m.source,
      })),
    })),
  };
}
