import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { EXIT } from '../../core/error-codes.js';
import { SluiceError } from '../../core/errors.js';

interface GuardCommandOptions {
  sql?: string;
  file?: string;
  json?: boolean;
  allowFunction?: string[];
  denyFunction: string[];
}

/** `pipeline guard`: parse a query, print its facts and whether the SQL guard allows it (exit 3 if not). */
export function guardCommand(): Command {
  return new Command('guard')
    .description(
      'Check a query with the SQL guard: print relations, columns, functions and lineage, and whether it is a provably read-only SELECT. Exit 0 allowed, 3 denied, 2 when it does not parse.',
    )
    .option('--sql <text>', 'the query text')
    .option('--file <path>', 'read the query from a file')
    .option(
      '--allow-function <name>',
      'allowlist mode: only these functions may be called (repeatable; `schema.name` or prefix `*`)',
      collect,
    )
    .option('--deny-function <name>', 'deny this function too (repeatable)', collect, [])
    .option('--json', 'print one JSON document')
    .action(async (opts: GuardCommandOptions) => {
      const sql = await readSql(opts);
      const [{ analyzeSql }, { formatGuardResult }] = await Promise.all([
        import('../../guard/analyze-sql.js'),
        import('../../guard/format-guard-result.js'),
      ]);
      const result = await analyzeSql(sql, {
        ...(opts.allowFunction === undefined ? {} : { allowFunctions: opts.allowFunction }),
        denyFunctions: opts.denyFunction,
      });
      process.stdout.write(`${opts.json ? JSON.stringify(result) : formatGuardResult(result)}\n`);
      if (result.verdict === 'deny') process.exitCode = EXIT.denied;
    });
}

async function readSql(opts: GuardCommandOptions): Promise<string> {
  if ((opts.sql === undefined) === (opts.file === undefined)) {
    throw new SluiceError('USAGE', 'Give the query with exactly one of `--sql <text>` or `--file <path>`.');
  }
  if (opts.sql !== undefined) return opts.sql;
  const file = opts.file as string;
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SluiceError(
      code === 'ENOENT' ? 'CONFIG_NOT_FOUND' : 'USAGE',
      code === 'ENOENT'
        ? `Query file \`${file}\` does not exist. Check the path.`
        : `Query file \`${file}\` could not be read (${code ?? 'error'}).`,
      { cause: err, context: { file } },
    );
  }
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
