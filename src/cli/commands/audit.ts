import type { KeyObject } from 'node:crypto';
import { Command } from 'commander';
import { EXIT } from '../../core/error-codes.js';
import { SluiceError } from '../../core/errors.js';
import type { AuditVerification } from '../../evidence/verify-audit-log.js';

interface VerifyOptions {
  json?: boolean;
  publicKey: string[];
  expectedHead?: string;
}

interface QueryOptions {
  subject?: string;
  table?: string;
  outcome?: string;
  kind: string[];
  since?: string;
  until?: string;
  limit?: string;
  json?: boolean;
}

interface ExportOptions {
  since?: string;
  until?: string;
  format: string;
  out?: string;
  json?: boolean;
  publicKey: string[];
  expectedHead?: string;
}

/** `pipeline audit verify|query|export`: check and read the hash-chained audit log. */
export function auditCommand(): Command {
  const audit = new Command('audit').description(
    'Verify, query and export the hash-chained audit log (authentications, decisions, extractions).',
  );

  audit
    .command('verify')
    .description(
      'Check every line of an audit log: its hash, its place in the chain and checkpoint signatures. Exit 0 when intact, 5 naming the first bad line otherwise.',
    )
    .argument('<log>', 'audit log file (JSONL)')
    .option(
      '--public-key <pem-file>',
      'trusted checkpoint key, `[key_id=]file.pem` (repeatable; key id defaults to the SHA-256 of the key)',
      collect,
      [],
    )
    .option(
      '--expected-head <hash>',
      'a head hash recorded elsewhere (e.g. a manifest) that the log must contain; detects removed trailing lines',
    )
    .option('--json', 'print one JSON document')
    .action(async (log: string, options: VerifyOptions) => {
      const { verifyAuditLog } = await import('../../evidence/verify-audit-log.js');
      const publicKeys = await loadKeys(options.publicKey);
      const result = await verifyAuditLog(log, {
        ...(publicKeys === undefined ? {} : { publicKeys }),
        ...(options.expectedHead === undefined ? {} : { expectedHead: options.expectedHead }),
      });
      if (options.json) {
        out(`${JSON.stringify(verificationJson(log, result))}\n`);
      } else {
        out(`${describeVerification(log, result, publicKeys !== undefined)}\n`);
      }
      if (!result.ok) process.exitCode = EXIT.integrity;
    });

  audit
    .command('query')
    .description(
      'Print the audit records that match every given filter, in log order (does not verify the chain).',
    )
    .argument('<log>', 'audit log file (JSONL)')
    .option('--subject <subject>', 'identity subject, or the human an agent acted for')
    .option(
      '--table <name>',
      'relation read: `connection.schema.table`, a dot-bounded suffix, or a glob with `*`',
    )
    .option(
      '--outcome <value>',
      'verdict (allow, deny, approval_required), outcome (success, failure, succeeded, ...) or run status',
    )
    .option('--kind <kind>', 'record kind, e.g. decision (repeatable)', collect, [])
    .option('--since <time>', 'ISO-8601 time, inclusive')
    .option('--until <time>', 'ISO-8601 time, exclusive')
    .option('--limit <n>', 'stop after n records')
    .option('--json', 'print one JSON document')
    .action(async (log: string, options: QueryOptions) => {
      const { queryAuditLog } = await import('../../evidence/audit-query.js');
      await assertFile(log);
      const limit =
        options.limit === undefined ? Number.POSITIVE_INFINITY : positiveInt(options.limit, '--limit');
      const records = [];
      for await (const record of queryAuditLog(log, {
        ...defined({ subject: options.subject, table: options.table, outcome: options.outcome }),
        ...defined({ since: options.since, until: options.until }),
        ...(options.kind.length > 0 ? { kind: options.kind } : {}),
      })) {
        if (records.length >= limit) break;
        if (options.json) records.push(record);
        else {
          out(`${describeRecord(record as unknown as Record<string, unknown>)}\n`);
          records.push(null);
        }
      }
      if (options.json) out(`${JSON.stringify({ log, count: records.length, records })}\n`);
      else if (records.length === 0) out('no matching records\n');
    });

  audit
    .command('export')
    .description(
      'Write the access history of a time window (who read what, when, under which decision) with the chain verification result. CSV carries only rows; the verification summary goes to stdout with --out, else to stderr. Exit 5 when the chain does not verify.',
    )
    .argument('<log>', 'audit log file (JSONL)')
    .option('--since <time>', 'ISO-8601 time, inclusive (required)')
    .option('--until <time>', 'ISO-8601 time, exclusive (required)')
    .option('--format <format>', 'csv or jsonl', 'csv')
    .option('--out <file>', 'write here (atomically) instead of stdout')
    .option(
      '--public-key <pem-file>',
      'trusted checkpoint key, `[key_id=]file.pem` (repeatable)',
      collect,
      [],
    )
    .option('--expected-head <hash>', 'a head hash recorded elsewhere that the log must contain')
    .option('--json', 'with --out: print the summary as one JSON document')
    .action(async (log: string, options: ExportOptions) => {
      if (options.since === undefined || options.until === undefined) {
        throw new SluiceError(
          'USAGE',
          '`audit export` needs both `--since` and `--until` (ISO-8601; since inclusive, until exclusive).',
        );
      }
      if (options.format !== 'csv' && options.format !== 'jsonl') {
        throw new SluiceError(
          'USAGE',
          `\`--format\` must be \`csv\` or \`jsonl\`, not \`${options.format}\`.`,
        );
      }
      if (options.json && options.out === undefined) {
        throw new SluiceError(
          'USAGE',
          '`--json` needs `--out`: without it the export itself goes to stdout.',
        );
      }
      const { exportAccessHistory } = await import('../../evidence/export-access-history.js');
      const { writeFileAtomic } = await import('../../core/atomic-file.js');
      await assertFile(log);
      const publicKeys = await loadKeys(options.publicKey);
      const chunks: string[] = [];
      const result = await exportAccessHistory(log, {
        since: options.since,
        until: options.until,
        format: options.format,
        write: options.out === undefined ? (chunk) => out(chunk) : (chunk) => void chunks.push(chunk),
        ...(publicKeys === undefined ? {} : { publicKeys }),
        ...(options.expectedHead === undefined ? {} : { expectedHead: options.expectedHead }),
      });
      if (options.out !== undefined) await writeFileAtomic(options.out, chunks.join(''));
      const summary = `${result.accesses} access${result.accesses === 1 ? '' : 'es'} exported; ${describeVerification(log, result.verification, publicKeys !== undefined)}`;
      if (options.out === undefined) process.stderr.write(`${summary}\n`);
      else if (options.json) {
        out(
          `${JSON.stringify({ out: options.out, format: options.format, accesses: result.accesses, verification: verificationJson(log, result.verification) })}\n`,
        );
      } else out(`wrote \`${options.out}\`: ${summary}\n`);
      if (!result.verification.ok) process.exitCode = EXIT.integrity;
    });

  return audit;
}

function out(text: string): void {
  process.stdout.write(text);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function defined<T extends Record<string, string | undefined>>(values: T): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Record<
    string,
    string
  >;
}

function positiveInt(value: string, option: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new SluiceError('USAGE', `\`${option}\` must be a positive integer, not \`${value}\`.`);
  }
  return n;
}

async function assertFile(path: string): Promise<void> {
  const { stat } = await import('node:fs/promises');
  const info = await stat(path).catch(() => null);
  if (info === null || !info.isFile()) {
    throw new SluiceError('CONFIG_NOT_FOUND', `Audit log \`${path}\` does not exist. Check the path.`, {
      context: { file: path },
    });
  }
}

async function loadKeys(refs: string[]): Promise<Record<string, KeyObject> | undefined> {
  if (refs.length === 0) return undefined;
  const { keyIdOf, loadPublicKey } = await import('../../evidence/signing.js');
  const keys: Record<string, KeyObject> = {};
  for (const ref of refs) {
    const eq = ref.indexOf('=');
    const file = eq > 0 ? ref.slice(eq + 1) : ref;
    const key = await loadPublicKey(file);
    keys[eq > 0 ? ref.slice(0, eq) : keyIdOf(key)] = key;
  }
  return keys;
}

function verificationJson(log: string, result: AuditVerification): Record<string, unknown> {
  return {
    log,
    ok: result.ok,
    records: result.records,
    head: result.head,
    first_bad_line: result.firstBadLine ?? null,
    problem: result.problem ?? null,
    reason: result.reason ?? null,
    checkpoints: result.checkpoints,
  };
}

function describeVerification(log: string, result: AuditVerification, keysGiven: boolean): string {
  if (!result.ok) {
    return `audit log \`${log}\` does NOT verify: ${result.problem}. ${result.records} record${result.records === 1 ? '' : 's'} before it verify.`;
  }
  const { total, verified } = result.checkpoints;
  const checkpoints =
    total === 0
      ? 'no signed checkpoints'
      : keysGiven
        ? `${verified} of ${total} checkpoint signatures verified`
        : `${total} checkpoint${total === 1 ? '' : 's'}, signatures not checked (give --public-key)`;
  return `audit log \`${log}\` is intact: ${result.records} record${result.records === 1 ? '' : 's'}, head ${result.head ?? '(empty log)'}, ${checkpoints}.`;
}

function describeRecord(r: Record<string, unknown>): string {
  const identity = r.identity as { subject?: string; on_behalf_of?: string } | undefined;
  const subject = identity?.subject ?? (typeof r.subject === 'string' ? r.subject : '-');
  const behalf = identity?.on_behalf_of ? ` (for ${identity.on_behalf_of})` : '';
  const outcome = r.verdict ?? r.outcome ?? r.status ?? '';
  const relations = Array.isArray(r.relations)
    ? ` ${(r.relations as string[]).map((rel) => (typeof r.connection === 'string' ? `${r.connection}.${rel}` : rel)).join(',')}`
    : '';
  const counts = typeof r.rows === 'number' ? ` rows=${r.rows} bytes=${String(r.bytes)}` : '';
  const action = typeof r.action === 'string' ? ` ${r.action}` : '';
  return `#${String(r.seq)} ${String(r.ts)} ${String(r.kind)}${action} ${subject}${behalf} ${String(outcome)}${relations}${counts}`.trimEnd();
}
