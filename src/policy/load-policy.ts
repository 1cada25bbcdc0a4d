import { validateYaml } from '../config/validate-yaml.js';
import {
  formatPath,
  locate,
  parseYamlText,
  readYamlFile,
  type YamlFile,
  type YamlPath,
} from '../config/yaml-file.js';
import { ConfigError, type ConfigIssue, SluiceError } from '../core/errors.js';
import { didYouMean } from '../transforms/did-you-mean.js';
import { compilePolicy, type LoadedPolicy } from './loaded-policy.js';
import { compilePattern, splitDotted } from './name-pattern.js';
import { type Policy, policySchema } from './policy-schema.js';
import { parseRowFilterPredicate } from './row-filter-predicate.js';

export interface LoadPolicyOptions {
  /**
   * Values for `${VAR}` references. Default: none, so the policy means the same everywhere and a
   * reference without a default is reported.
   */
  env?: NodeJS.ProcessEnv;
  /** Registered mask types; when given, a class naming another mask is reported. */
  masks?: readonly string[];
}

/**
 * Reads, validates and cross-checks a policy file. Every problem is reported at once as a
 * `ConfigError` with file, line and YAML path; a missing file is `CONFIG_NOT_FOUND`.
 *
 * @example
 * const policy = await loadPolicy('fixtures/policies/demo-policy.yaml');
 * policy.version; // sha256 of the canonical JSON of the parsed policy
 */
export async function loadPolicy(path: string, options: LoadPolicyOptions = {}): Promise<LoadedPolicy> {
  return checkPolicyFile(await readYamlFile(path, 'Policy file'), options);
}

/** As {@link loadPolicy}, from text (for tests and for policies held elsewhere). */
export async function parsePolicy(
  text: string,
  path = '<inline>',
  options: LoadPolicyOptions = {},
): Promise<LoadedPolicy> {
  return checkPolicyFile(parseYamlText(path, text), options);
}

async function checkPolicyFile(file: YamlFile, options: LoadPolicyOptions): Promise<LoadedPolicy> {
  const { value, issues } = validateYaml(file, policySchema, options.env ?? {});
  if (value === undefined) throw new ConfigError(issues);
  const problems = await crossCheck(file, value, options);
  if (problems.length > 0) throw new ConfigError(problems);
  return compilePolicy(value, file.path);
}

async function crossCheck(
  file: YamlFile,
  policy: Policy,
  options: LoadPolicyOptions,
): Promise<ConfigIssue[]> {
  const issues: ConfigIssue[] = [];
  const at = (path: YamlPath, message: string, key?: string) =>
    issues.push({ file: file.path, ...locate(file, path, key), path: formatPath(path), message });
  const classNames = Object.keys(policy.classes);
  const purposeNames = Object.keys(policy.purposes);

  const checkPurpose = (path: YamlPath, purpose: string) => {
    if (purpose === '*' || Object.hasOwn(policy.purposes, purpose)) return;
    const hint = didYouMean(purpose, purposeNames);
    at(
      path,
      `Purpose \`${purpose}\` is not declared under \`purposes\`.${hint ? ` Did you mean \`${hint}\`?` : ''} Declared: ${list(purposeNames)}.`,
    );
  };

  for (const [key, cls] of Object.entries(policy.classifications)) {
    if (compilePattern(key, 4) === undefined) {
      at(
        ['classifications'],
        `Classification \`${key}\` must have four parts, \`connection.schema.table.column\` (use \`*\` for any; quote a part with a dot).`,
        key,
      );
    }
    if (!Object.hasOwn(policy.classes, cls)) {
      const hint = didYouMean(cls, classNames);
      at(
        ['classifications', key],
        `Class \`${cls}\` is not defined under \`classes\`.${hint ? ` Did you mean \`${hint}\`?` : ''} Defined: ${list(classNames)}.`,
      );
    }
  }

  for (const [name, cls] of Object.entries(policy.classes)) {
    for (const [i, p] of cls.allow_unmasked_for.entries())
      checkPurpose(['classes', name, 'allow_unmasked_for', i], p);
    if (cls.satisfied_by.length === 0 && cls.allow_unmasked_for.length === 0) {
      at(
        ['classes', name, 'satisfied_by'],
        `Class \`${name}\` lists no mask and no purpose that may read it unmasked, so no query may output it. List at least one mask.`,
      );
    }
    if (options.masks !== undefined) {
      cls.satisfied_by.forEach((s, i) => {
        if (options.masks?.includes(s.mask)) return;
        const hint = didYouMean(s.mask, options.masks ?? []);
        at(
          ['classes', name, 'satisfied_by', i, 'mask'],
          `Mask \`${s.mask}\` is not registered.${hint ? ` Did you mean \`${hint}\`?` : ''} Registered: ${list(options.masks ?? [])}.`,
        );
      });
    }
  }

  const ids = new Map<string, number>();
  for (const [i, rule] of policy.rules.entries()) {
    const base = ['rules', i] as const;
    const first = ids.get(rule.id);
    if (first !== undefined)
      at(
        [...base, 'id'],
        `Rule id \`${rule.id}\` is also used by rule ${first + 1}. Give each rule its own id.`,
      );
    else ids.set(rule.id, i);
    if (rule.subjects.length === 0 && rule.groups.length === 0) {
      at(
        base,
        `Rule \`${rule.id}\` names no \`subjects\` and no \`groups\`, so it grants nobody. Name who it grants.`,
      );
    }
    for (const [j, p] of rule.purposes.entries()) checkPurpose([...base, 'purposes', j], p);
    const tableForm = '`table` or `schema.table`';
    for (const [j, t] of rule.tables.entries()) checkParts([...base, 'tables', j], t, 1, 2, tableForm, at);
    const approval = rule.require_approval;
    if (typeof approval === 'object') {
      for (const [j, t] of approval.tables.entries()) {
        checkParts([...base, 'require_approval', 'tables', j], t, 1, 2, tableForm, at);
      }
    }
    const columnForm = '`column`, `table.column` or `schema.table.column`';
    for (const kind of ['allow', 'deny'] as const) {
      for (const [j, c] of (rule.columns?.[kind] ?? []).entries()) {
        checkParts([...base, 'columns', kind, j], c, 1, 3, columnForm, at);
      }
    }
    for (const [pattern, predicate] of Object.entries(rule.row_filter)) {
      checkParts([...base, 'row_filter', pattern], pattern, 1, 2, '`table` or `schema.table`', at);
      try {
        await parseRowFilterPredicate(predicate, pattern, {
          ...(policy.functions?.allow === undefined ? {} : { allowFunctions: policy.functions.allow }),
          denyFunctions: policy.functions?.deny ?? [],
        });
      } catch (err) {
        if (!(err instanceof SluiceError)) throw err;
        at([...base, 'row_filter', pattern], err.message);
      }
    }
    if (rule.approvers === undefined && policy.approvals === undefined && ruleMayNeedApproval(policy, rule)) {
      at(
        base,
        `Rule \`${rule.id}\` can require an approval, but no approvers are named. Add an \`approvals\` section (or \`approvers\` on the rule).`,
      );
    }
  }
  return issues;
}

function ruleMayNeedApproval(policy: Policy, rule: Policy['rules'][number]): boolean {
  if (rule.require_approval !== false) return true;
  if (Object.values(policy.purposes).some((p) => p.require_approval)) return true;
  return Object.values(policy.classes).some(
    (c) => c.approval !== undefined || c.predicate_use === 'approval',
  );
}

function checkParts(
  path: YamlPath,
  text: string,
  min: number,
  max: number,
  expected: string,
  at: (path: YamlPath, message: string) => void,
): void {
  const parts = splitDotted(text);
  if (parts === undefined || parts.length < min || parts.length > max) {
    at(path, `\`${text}\` is not a valid name pattern; write ${expected}.`);
  }
}

function list(names: readonly string[]): string {
  return names.length === 0 ? 'none' : names.map((n) => `\`${n}\``).join(', ');
}
