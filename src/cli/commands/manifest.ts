import { Command, Option } from 'commander';
import { EXIT } from '../../core/error-codes.js';
import { SluiceError } from '../../core/errors.js';
import type { ManifestVerification } from '../../evidence/manifest/verify-manifest.js';

interface VerifyOptions {
  json?: boolean;
  publicKey: string[];
  allowExtra: string[];
}

interface ExportOptions {
  format: 'openlineage' | 'croissant' | 'datacard';
  out?: string;
  post?: string;
  retries: string;
  namespace?: string;
  producer?: string;
  license?: string;
  json?: boolean;
}

interface AttachOptions {
  modelCard: string;
  uri?: string;
  json?: boolean;
}

/** `pipeline manifest verify|export|attach|merge`: check and publish a dataset's usage manifest. */
export function manifestCommand(): Command {
  const manifest = new Command('manifest').description(
    'Verify a dataset against its usage manifest, export the manifest to OpenLineage, Croissant or a dataset card, attach it to a model card, merge shard manifests.',
  );

  manifest
    .command('verify')
    .description(
      'Re-hash every dataset file and check the manifest schema, digests and signature. Exit 0 when intact, 5 naming each difference (changed, missing or extra file, edited manifest, bad signature).',
    )
    .argument('<manifest>', 'the manifest.json beside the dataset')
    .option(
      '--public-key <pem-file>',
      'trusted Ed25519 public key (repeatable); when given, a valid signature by one of them is required',
      collect,
      [],
    )
    .option(
      '--allow-extra <path>',
      'a file (relative to the manifest) allowed in the dataset directory besides the dataset, e.g. README.md (repeatable)',
      collect,
      [],
    )
    .option('--json', 'print one JSON document')
    .action(async (path: string, options: VerifyOptions) => {
      const [{ verifyManifest }, { loadPublicKey }] = await Promise.all([
        import('../../evidence/manifest/verify-manifest.js'),
        import('../../evidence/signing.js'),
      ]);
      const publicKeys = await Promise.all(options.publicKey.map((file) => loadPublicKey(file)));
      const result = await verifyManifest(path, { publicKeys, allowExtra: options.allowExtra });
      out(options.json ? `${JSON.stringify(result)}\n` : describeVerification(result));
      if (!options.json && result.signature === 'unchecked') {
        process.stderr.write(
          'warning: the signature was not checked; pass --public-key <pem> to require a valid signature.\n',
        );
      }
      if (!result.ok) process.exitCode = EXIT.integrity;
    });

  manifest
    .command('export')
    .description(
      'Write the manifest as OpenLineage RunEvents (JSON lines), Croissant 1.1 JSON-LD with RAI and PROV-O, or a Hugging Face dataset card. Reads the manifest only; run `verify` to check the files.',
    )
    .argument('<manifest>', 'the manifest.json beside the dataset')
    .addOption(
      new Option('--format <format>', 'export format')
        .choices(['openlineage', 'croissant', 'datacard'])
        .makeOptionMandatory(),
    )
    .option('--out <file>', 'write to a file (atomically) instead of stdout')
    .option(
      '--post <url>',
      'openlineage: also POST each event to this endpoint, e.g. http://marquez:5000/api/v1/lineage',
    )
    .option('--retries <n>', 'openlineage --post: retries per event on network errors, 429 and 5xx', '3')
    .option('--namespace <ns>', 'openlineage: job namespace (default sluice)')
    .option('--producer <uri>', 'openlineage: producer URI (default urn:sluice:<version>)')
    .option('--license <id>', 'datacard: Hub license id; croissant: license URL')
    .option('--json', 'with --out or --post: print a JSON summary instead of text')
    .action(async (path: string, options: ExportOptions) => {
      const [{ readManifest }, nodePath] = await Promise.all([
        import('../../evidence/manifest/read-manifest.js'),
        import('node:path'),
      ]);
      const m = await readManifest(path);
      const manifestDir = nodePath.dirname(nodePath.resolve(path));
      let text: string;
      let events: unknown[] = [];
      if (options.format === 'openlineage') {
        const { toOpenLineage } = await import('../../evidence/exporters/openlineage-export.js');
        events = toOpenLineage(m, {
          manifestDir: manifestDir.split(nodePath.sep).join('/'),
          ...defined({ namespace: options.namespace, producer: options.producer }),
        });
        text = events.map((e) => `${JSON.stringify(e)}\n`).join('');
      } else if (options.format === 'croissant') {
        const { toCroissant } = await import('../../evidence/exporters/croissant-export.js');
        text = `${JSON.stringify(toCroissant(m, defined({ license: options.license })), null, 2)}\n`;
      } else {
        const { toDatacard } = await import('../../evidence/exporters/datacard-export.js');
        const uri = options.out
          ? toPosix(
              nodePath.relative(nodePath.dirname(nodePath.resolve(options.out)), nodePath.resolve(path)),
            )
          : 'manifest.json';
        text = toDatacard(m, { manifestUri: uri, ...defined({ license: options.license }) });
      }
      if (options.post !== undefined) {
        if (options.format !== 'openlineage')
          throw new SluiceError('USAGE', '`--post` applies to `--format openlineage` only.');
        const { postOpenLineage } = await import('../../evidence/exporters/post-openlineage.js');
        const retries = Number(options.retries);
        if (!Number.isSafeInteger(retries) || retries < 0)
          throw new SluiceError(
            'USAGE',
            `\`--retries\` must be a non-negative integer, got \`${options.retries}\`.`,
          );
        await postOpenLineage(options.post, events, { retries });
      }
      if (options.out !== undefined) {
        const { writeFileAtomic } = await import('../../core/atomic-file.js');
        await writeFileAtomic(options.out, text);
        out(
          options.json
            ? `${JSON.stringify({ format: options.format, out: options.out, posted: options.post !== undefined ? events.length : 0 })}\n`
            : `Wrote ${options.format} export of \`${path}\` to ${options.out}\n`,
        );
      } else {
        out(text);
      }
    });

  manifest
    .command('attach')
    .description(
      'Add or update, idempotently, a training-data provenance section and a `usage_manifest` entry (uri, sha256) in a model card; the rest of the card stays byte-for-byte unchanged.',
    )
    .argument('<manifest>', 'the manifest.json of the training set')
    .requiredOption('--model-card <file>', 'the model card (README.md with YAML front matter)')
    .option('--uri <uri>', 'how the card refers to the manifest (default: path relative to the card)')
    .option('--json', 'print one JSON document')
    .action(async (path: string, options: AttachOptions) => {
      const [{ readManifest }, { attachToModelCard }, { manifestDigest }, fs, nodePath, { writeFileAtomic }] =
        await Promise.all([
          import('../../evidence/manifest/read-manifest.js'),
          import('../../evidence/exporters/attach-model-card.js'),
          import('../../evidence/manifest/sign-manifest.js'),
          import('node:fs/promises'),
          import('node:path'),
          import('../../core/atomic-file.js'),
        ]);
      const m = await readManifest(path);
      let card: string;
      try {
        card = await fs.readFile(options.modelCard, 'utf8');
      } catch (cause) {
        throw new SluiceError(
          'CONFIG_NOT_FOUND',
          `Model card \`${options.modelCard}\` cannot be read (${(cause as NodeJS.ErrnoException).code ?? 'error'}).`,
          { context: { file: options.modelCard }, cause },
        );
      }
      const uri =
        options.uri ??
        toPosix(
          nodePath.relative(nodePath.dirname(nodePath.resolve(options.modelCard)), nodePath.resolve(path)),
        );
      const updated = attachToModelCard(card, m, { uri });
      const changed = updated !== card;
      if (changed) await writeFileAtomic(options.modelCard, updated);
      const sha256 = manifestDigest(m);
      out(
        options.json
          ? `${JSON.stringify({ model_card: options.modelCard, uri, sha256, changed })}\n`
          : `${changed ? 'Attached' : 'Already attached'}: \`${uri}\` (sha256 ${sha256}) in ${options.modelCard}\n`,
      );
    });

  manifest
    .command('merge')
    .description(
      'Combine the manifests of the shards of one run (`pipeline run --shard K/N`) into the dataset manifest. Verifies every shard first (exit 5 if one fails) and refuses shards of different runs (exit 2).',
    )
    .argument('<shards...>', 'the shard manifests')
    .requiredOption('--out <manifest.json>', 'where to write the merged manifest')
    .option(
      '--public-key <pem-file>',
      'trusted key the shard manifests must be signed by (repeatable)',
      collect,
      [],
    )
    .option('--signing-key <pem-file>', 'Ed25519 private key to sign the merged manifest with')
    .option('--json', 'print one JSON document')
    .action(async (paths: string[], options: MergeOptions) => {
      const [{ verifyManifest }, { readManifest }, { mergeManifests }, { writeManifest }, signing, nodePath] =
        await Promise.all([
          import('../../evidence/manifest/verify-manifest.js'),
          import('../../evidence/manifest/read-manifest.js'),
          import('../../evidence/manifest/merge-manifests.js'),
          import('../../evidence/manifest/write-manifest.js'),
          import('../../evidence/signing.js'),
          import('node:path'),
        ]);
      const publicKeys = await Promise.all(options.publicKey.map((file) => signing.loadPublicKey(file)));
      const failed: string[] = [];
      for (const path of paths) {
        const result = await verifyManifest(path, { publicKeys, checkExtraFiles: false });
        if (!result.ok) {
          failed.push(path);
          process.stderr.write(describeVerification(result));
        }
      }
      if (failed.length > 0) {
        throw new SluiceError(
          'INTEGRITY_FAILED',
          `${failed.length} shard manifest(s) failed verification: ${failed.map((p) => `\`${p}\``).join(', ')}. Re-run those shards.`,
          { context: { failed } },
        );
      }
      const outDir = nodePath.dirname(nodePath.resolve(options.out));
      const shards = await Promise.all(
        paths.map(async (path) => {
          const dir = nodePath.dirname(nodePath.resolve(path));
          return {
            manifest: await readManifest(path),
            relocate: (p: string) => toPosix(nodePath.relative(outDir, nodePath.resolve(dir, p))),
          };
        }),
      );
      const merged = mergeManifests(shards);
      const signingKey = options.signingKey
        ? await signing.loadSigningKey({ file: nodePath.resolve(options.signingKey) })
        : undefined;
      const written = await writeManifest(options.out, merged, { signingKey });
      out(
        options.json
          ? `${JSON.stringify({ out: options.out, sha256: written.sha256, shards: paths.length, files: merged.dataset.files, digest: merged.dataset.digest, signed: written.envelopePath !== undefined })}\n`
          : `Merged ${paths.length} shard manifest(s) into ${options.out}: ${merged.dataset.files} file(s), ${merged.dataset.rows} rows, dataset digest ${merged.dataset.digest}${written.envelopePath ? ', signed' : ''}\n`,
      );
    });

  return manifest;
}

interface MergeOptions {
  out: string;
  publicKey: string[];
  signingKey?: string;
  json?: boolean;
}

function describeVerification(r: ManifestVerification): string {
  const signature = {
    valid: `signature valid (key ${r.keyIds.join(', ')})`,
    invalid: 'signature INVALID',
    unchecked: 'signature present but not checked (no --public-key)',
    absent: 'not signed',
  }[r.signature];
  if (r.ok) {
    return `${r.manifest} is intact: ${r.files} file(s) match, ${signature}; manifest sha256 ${r.manifestSha256 ?? ''}\n`;
  }
  const lines = r.problems.map((p) => `  ${p.kind}: ${p.path ? `\`${p.path}\` ` : ''}${p.message}`);
  return `${r.manifest} FAILED verification (${r.problems.length} problem(s), ${signature}):\n${lines.join('\n')}\n`;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function out(text: string): void {
  process.stdout.write(text);
}

function toPosix(path: string): string {
  return path.split('\\').join('/');
}

function defined<T extends Record<string, unknown>>(
  fields: T,
): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
