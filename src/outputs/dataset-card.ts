import { dirname, join, relative, resolve, sep } from 'node:path';
import { writeFileAtomic } from '../core/atomic-file.js';
import { toDatacard } from '../evidence/exporters/datacard-export.js';
import type { Manifest } from '../evidence/manifest/manifest-schema.js';
import { type OutputStages, usesDatasetLayout } from './output-options.js';

/** The dataset card's file name inside a dataset directory (what the Hub and `datasets` read). */
export const DATASET_CARD = 'README.md';

function posix(path: string): string {
  return path.split(sep).join('/');
}

/**
 * The dataset card of one output in the Hugging Face layout: the manifest narrowed to that output,
 * with file paths relative to the dataset directory, rendered by the data card exporter (one Hub
 * split per `split` part). Sources' read points are left out: an incremental watermark can be a
 * row value. The card names the manifest's digest, so it cannot itself be listed in the manifest.
 */
export function datasetCard(
  manifest: Manifest,
  outputName: string,
  datasetDir: string,
  manifestPath: string,
): string {
  const output = manifest.outputs.find((o) => o.name === outputName);
  if (!output) throw new Error(`output ${outputName} is not in the manifest`);
  const manifestDir = dirname(resolve(manifestPath));
  const local = (p: string) => posix(relative(datasetDir, resolve(manifestDir, p)));
  const narrowed: Manifest = {
    ...manifest,
    sources: manifest.sources.map((s) => ({ ...s, snapshot: null })),
    outputs: [{ ...output, path: '.', files: output.files.map((f) => ({ ...f, path: local(f.path) })) }],
    dataset: {
      ...manifest.dataset,
      digest: output.digest,
      files: output.files.length,
      bytes: output.bytes,
      rows: output.rows,
    },
  };
  return toDatacard(narrowed, { manifestUri: local(relative(manifestDir, resolve(manifestPath))) });
}

/**
 * Writes `README.md` into every dataset directory of the run, after its manifest: each card
 * describes committed files only and names the manifest by digest. Returns the cards written.
 */
export async function writeDatasetCards(
  outputs: { name: string; path?: string | undefined; config: OutputStages & { format: string } }[],
  manifest: Manifest,
  manifestPath: string,
  runId: string,
): Promise<string[]> {
  const written: string[] = [];
  for (const o of outputs) {
    if (o.path === undefined || !usesDatasetLayout(o.config)) continue;
    const path = join(o.path, DATASET_CARD);
    await writeFileAtomic(path, datasetCard(manifest, o.name, o.path, manifestPath), runId);
    written.push(path);
  }
  return written;
}
