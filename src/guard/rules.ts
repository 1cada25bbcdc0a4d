import { deniedFunctionReason, isFunctionAllowed } from './denylist.js';
import type { GuardOptions, GuardReason, GuardRuleId } from './guard-result.js';
import type { Observations } from './query-analyzer.js';
import { sensitiveRelationReason } from './sensitive-relations.js';
import { formatRelation } from './statement-facts.js';

/** One rule of the guard: a stable id, what it enforces, and its check. */
export interface GuardRule {
  id: GuardRuleId;
  summary: string;
  check(observations: Observations, options: GuardOptions): string[];
}

const STATEMENT_LABELS: Readonly<Record<string, string>> = {
  SelectStmt: 'SELECT',
  CreateStmt: 'CREATE TABLE',
  DropStmt: 'DROP',
  AlterTableStmt: 'ALTER TABLE',
  CreateFunctionStmt: 'CREATE FUNCTION',
  ViewStmt: 'CREATE VIEW',
  IndexStmt: 'CREATE INDEX',
  CreateRoleStmt: 'CREATE ROLE',
  AlterRoleStmt: 'ALTER ROLE',
  CreateExtensionStmt: 'CREATE EXTENSION',
  CommentStmt: 'COMMENT',
  InsertStmt: 'INSERT',
  UpdateStmt: 'UPDATE',
  DeleteStmt: 'DELETE',
  MergeStmt: 'MERGE',
  CopyStmt: 'COPY',
  DoStmt: 'DO',
  CallStmt: 'CALL',
  VariableSetStmt: 'SET/RESET',
  VariableShowStmt: 'SHOW',
  TransactionStmt: 'transaction control',
  ListenStmt: 'LISTEN',
  NotifyStmt: 'NOTIFY',
  UnlistenStmt: 'UNLISTEN',
  PrepareStmt: 'PREPARE',
  ExecuteStmt: 'EXECUTE',
  DeallocateStmt: 'DEALLOCATE',
  ExplainStmt: 'EXPLAIN',
  VacuumStmt: 'VACUUM/ANALYZE',
  ClusterStmt: 'CLUSTER',
  ReindexStmt: 'REINDEX',
  CheckPointStmt: 'CHECKPOINT',
  LoadStmt: 'LOAD',
  CreateTableAsStmt: 'CREATE TABLE AS / SELECT INTO',
  DeclareCursorStmt: 'DECLARE CURSOR',
  FetchStmt: 'FETCH',
  ClosePortalStmt: 'CLOSE',
  LockStmt: 'LOCK',
  DiscardStmt: 'DISCARD',
  TruncateStmt: 'TRUNCATE',
  RefreshMatViewStmt: 'REFRESH MATERIALIZED VIEW',
  AlterSystemStmt: 'ALTER SYSTEM',
  GrantStmt: 'GRANT/REVOKE',
};

/** `DeleteStmt` → `DELETE`; DDL falls back to its node name without `Stmt`. */
export function statementLabel(kind: string): string {
  return STATEMENT_LABELS[kind] ?? kind.replace(/Stmt$/, '');
}

export const GUARD_RULES: readonly GuardRule[] = [
  {
    id: 'single-statement',
    summary: 'The SQL text holds exactly one statement.',
    check: (o) =>
      o.statementKinds.length === 1
        ? []
        : [
            o.statementKinds.length === 0
              ? 'The SQL text holds no statement. Give exactly one SELECT.'
              : `The SQL text holds ${o.statementKinds.length} statements (${o.statementKinds
                  .map(statementLabel)
                  .join(', ')}). Give exactly one SELECT.`,
          ],
  },
  {
    id: 'statement-kind',
    summary: 'Only SELECT (with WITH, set operations, VALUES and TABLE) is allowed.',
    check: (o) =>
      o.statementKinds
        .filter((k) => k !== 'SelectStmt')
        .map((k) => `\`${statementLabel(k)}\` is not a read-only query. Only SELECT is allowed.`),
  },
  {
    id: 'data-modifying-cte',
    summary: 'No INSERT, UPDATE, DELETE or MERGE inside WITH, at any depth.',
    check: (o) =>
      o.modifyingCtes.map(
        (k) => `A WITH clause runs \`${statementLabel(k)}\`. Data-modifying CTEs are not allowed.`,
      ),
  },
  {
    id: 'select-into',
    summary: 'No SELECT … INTO (it creates a table).',
    check: (o) => (o.selectInto > 0 ? ['`SELECT … INTO` creates a table. Remove the INTO clause.'] : []),
  },
  {
    id: 'locking-clause',
    summary: 'No FOR UPDATE / FOR NO KEY UPDATE / FOR SHARE / FOR KEY SHARE.',
    check: (o) =>
      o.lockingClauses.length > 0
        ? [`A locking clause (\`${lockLabel(o.lockingClauses[0]!)}\`) takes row locks. Remove it.`]
        : [],
  },
  {
    id: 'denied-function',
    summary: 'No function with side effects or reaching files, network, sessions, locks or settings.',
    check: (o, options) =>
      o.functions.flatMap((name) => {
        const denied = deniedFunctionReason(name, options.denyFunctions);
        return denied === undefined
          ? []
          : [`Function \`${name}\` is denied: it ${denied.reason} (denylist entry \`${denied.entry}\`).`];
      }),
  },
  {
    id: 'function-not-allowed',
    summary: 'With an allowlist configured, only listed functions may be called.',
    check: (o, options) => {
      const allow = options.allowFunctions;
      if (allow === undefined) return [];
      return o.functions
        .filter((name) => !isFunctionAllowed(name, allow))
        .map(
          (name) => `Function \`${name}\` is not on the allowlist. Add it to allow_functions or remove it.`,
        );
    },
  },
  {
    id: 'sensitive-catalog',
    summary: 'No system catalog or view that exposes credentials, sample values or other sessions.',
    check: (o) =>
      o.relations.flatMap((relation) => {
        const reason = sensitiveRelationReason(relation.name);
        return reason === undefined
          ? []
          : [`Relation \`${formatRelation(relation)}\` is denied: it ${reason}.`];
      }),
  },
  {
    id: 'unclassified',
    summary: 'Anything the guard cannot classify is denied (fail closed).',
    check: (o) =>
      o.unclassified.map(
        (what) => `The guard cannot classify \`${what}\`, so it cannot prove the query read-only.`,
      ),
  },
];

/** Applies every rule; the query is allowed only when no rule produced a reason. */
export function applyRules(observations: Observations, options: GuardOptions = {}): GuardReason[] {
  return GUARD_RULES.flatMap((rule) =>
    rule.check(observations, options).map((message) => ({ rule: rule.id, message })),
  );
}

function lockLabel(strength: string): string {
  switch (strength) {
    case 'LCS_FORUPDATE':
      return 'FOR UPDATE';
    case 'LCS_FORNOKEYUPDATE':
      return 'FOR NO KEY UPDATE';
    case 'LCS_FORSHARE':
      return 'FOR SHARE';
    case 'LCS_FORKEYSHARE':
      return 'FOR KEY SHARE';
    default:
      return strength;
  }
}
