import { Command } from 'commander';

export function schemaCommand(): Command {
  return new Command('schema')
    .description('Write or check the JSON Schemas of the pipeline and config files (for editors and CI).')
    .option('--write <dir>', 'write pipeline.schema.json and config.schema.json into <dir>')
    .option('--check <dir>', 'exit 1 if the files in <dir> differ from the schemas generated from the code')
    .option('--print <which>', 'print one schema (pipeline or config) on stdout')
    .action(async (opts: { write?: string; check?: string; print?: string }) => {
      const [{ generateJsonSchemas }, { createRegistry }, fs, path] = await Promise.all([
        import('../../config/json-schema.js'),
        import('../registry.js'),
        import('node:fs/promises'),
        import('node:path'),
      ]);
      const schemas = generateJsonSchemas(await createRegistry());
      if (opts.print) {
        const found = schemas.find((s) => s.name.startsWith(`${opts.print}.`));
        if (!found)
          throw new (await import('../../core/errors.js')).SluiceError(
            'USAGE',
            `Unknown schema \`${opts.print}\`. Use \`pipeline\` or \`config\`.`,
          );
        process.stdout.write(found.text);
      }
      if (opts.write) {
        await fs.mkdir(opts.write, { recursive: true });
        for (const s of schemas) await fs.writeFile(path.join(opts.write, s.name), s.text);
        process.stdout.write(
          `Wrote ${schemas.map((s) => path.join(opts.write as string, s.name)).join(', ')}\n`,
        );
      }
      if (opts.check) {
        const stale: string[] = [];
        for (const s of schemas) {
          const file = path.join(opts.check, s.name);
          const current = await fs.readFile(file, 'utf8').catch(() => '');
          if (current !== s.text) stale.push(file);
        }
        if (stale.length > 0) {
          process.stderr.write(
            `Out of date: ${stale.join(', ')}. Run \`npm run schema\` and commit the result.\n`,
          );
          process.exitCode = 1;
        } else {
          process.stdout.write('JSON Schemas are up to date.\n');
        }
      }
    });
}
