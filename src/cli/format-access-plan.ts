import type { AccessPlan } from '../engine/plan-access.js';

const tick = (b: boolean) => (b ? 'ok' : 'MISSING');

/** The access plan for people: one block per source. */
export function formatAccessPlan(plan: AccessPlan): string {
  const id = plan.identity;
  const lines = [
    `pipeline  ${plan.pipeline}`,
    `identity  ${id.subject} (${id.method}, ${id.verified ? 'verified' : 'NOT verified'}${id.groups.length ? `, groups ${id.groups.join(', ')}` : ''}${id.on_behalf_of ? `, on behalf of ${id.on_behalf_of}` : ''})`,
    `purpose   ${plan.purpose}`,
    `policy    ${plan.policy_version === 'none' ? 'none (SQL guard only)' : plan.policy_version.slice(0, 16)}`,
    `verdict   ${plan.verdict.toUpperCase()}`,
  ];
  for (const s of plan.sources) {
    lines.push('', `source ${s.name} (connection ${s.connection}): ${s.verdict.toUpperCase()}`);
    for (const r of s.reasons) lines.push(`  - ${r.message} [${r.rule}]`);
    if (s.error) lines.push(`  ! ${s.error.code}: ${s.error.message.split('\n')[0]}`);
    lines.push(`  reads     ${s.relations.join(', ') || '(nothing)'}`);
    if (s.columns.length) lines.push(`  columns   ${s.columns.join(', ')}`);
    for (const f of s.row_filters) lines.push(`  row filter on ${f.relation}: ${f.predicate}`);
    if (s.row_limit !== undefined) lines.push(`  row limit ${s.row_limit}`);
    for (const m of s.masks) {
      const requested = m.requested
        ? `${m.requested.mask}${m.requested.key_id ? ` (key ${m.requested.key_id})` : ''}`
        : '(none)';
      const mandatory = m.mandatory
        ? ` · class ${m.mandatory.classes.join(' + ')} needs one of ${m.mandatory.satisfied_by.join(', ') || '(no single mask)'}: ${tick(m.mandatory.satisfied)}`
        : '';
      lines.push(`  mask ${m.column}: ${requested}${mandatory}`);
    }
  }
  for (const w of plan.writes ?? []) {
    lines.push(
      '',
      `output ${w.output} writes ${w.table} (connection ${w.connection}, mode ${w.mode}): ${w.verdict.toUpperCase()}`,
    );
    for (const r of w.reasons) lines.push(`  - ${r.message} [${r.rule}]`);
  }
  return `${lines.join('\n')}\n`;
}
