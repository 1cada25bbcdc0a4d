import type { z } from 'zod';
import type { ConfigIssue } from '../core/errors.js';
import { type InterpolationProblem, interpolateEnv } from './interpolate-env.js';
import { formatPath, locate, type YamlFile } from './yaml-file.js';
import { zodIssuesToConfigIssues } from './zod-issues.js';

/** Interpolates `${VAR}` and validates a parsed YAML file; returns the value or all problems. */
export function validateYaml<S extends z.ZodType>(
  file: YamlFile,
  schema: S,
  env: NodeJS.ProcessEnv,
): { value?: z.infer<S>; raw?: unknown; issues: ConfigIssue[] } {
  if (file.syntaxIssues.length > 0) return { issues: file.syntaxIssues };
  const problems: InterpolationProblem[] = [];
  const raw = interpolateEnv(file.doc.toJS() ?? {}, env, problems);
  const issues: ConfigIssue[] = problems.map((p) => ({
    file: file.path,
    ...locate(file, p.path),
    path: formatPath(p.path),
    message: `Environment variable \`${p.variable}\` is not set. Set it, or give a default with \`\${${p.variable}:-default}\`.`,
  }));
  const parsed = schema.safeParse(raw);
  if (!parsed.success) issues.push(...zodIssuesToConfigIssues(file, parsed.error.issues));
  return issues.length > 0 ? { raw, issues } : { value: parsed.data as z.infer<S>, raw, issues };
}
