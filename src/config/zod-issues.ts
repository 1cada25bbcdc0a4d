import type { z } from 'zod';
import type { ConfigIssue } from '../core/errors.js';
import { formatPath, locate, type YamlFile } from './yaml-file.js';

/** Turns zod's issues into located config issues (one per unknown key). Never echoes input values. */
export function zodIssuesToConfigIssues(file: YamlFile, issues: readonly z.core.$ZodIssue[]): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({
          file: file.path,
          ...locate(file, path, key),
          path: formatPath([...path, key]),
          message: `Unknown key \`${key}\`. Unknown keys are rejected: check the spelling, or remove it.`,
        });
      }
      continue;
    }
    out.push({
      file: file.path,
      ...locate(file, path),
      path: formatPath(path),
      message: describeIssue(issue),
    });
  }
  return out;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.message.includes('received undefined')
        ? `Missing required key (expected ${issue.expected}).`
        : issue.message;
    default:
      return issue.message;
  }
}
