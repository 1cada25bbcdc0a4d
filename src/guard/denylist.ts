/**
 * Functions the guard denies whatever the options say. An entry is a bare name (matches that name
 * in any schema, so `myschema.pg_sleep` is caught too), a `schema.name` (matches exactly), or
 * either with a trailing `*` (prefix). Matching is case-insensitive, which is stricter than
 * PostgreSQL: a quoted `"PG_SLEEP"` is denied although it would name another function.
 */
export const DENIED_FUNCTIONS: Readonly<Record<string, string>> = {
  // Server files and programs.
  pg_read_file: 'reads server files',
  pg_read_binary_file: 'reads server files',
  pg_stat_file: 'reads server file metadata',
  'pg_ls_*': 'lists server directories',
  pg_current_logfile: 'reads server file paths',
  'pg_file_*': 'writes server files (adminpack)',
  pg_logdir_ls: 'lists server directories (adminpack)',
  'lo_*': 'reads or writes large objects and server files',
  loread: 'reads large objects',
  lowrite: 'writes large objects',
  xslt_process: 'may read files (xml2)',
  // Network and other databases.
  'dblink*': 'connects to another database',
  'postgres_fdw_*': 'manages remote connections',
  http: 'reaches the network (pgsql-http)',
  'http_*': 'reaches the network (pgsql-http)',
  'net.*': 'reaches the network (pg_net)',
  // Runs SQL text given as an argument, bypassing the guard.
  'query_to_xml*': 'runs SQL text',
  'cursor_to_xml*': 'reads a cursor',
  'table_to_xml*': 'reads a whole table by name',
  'schema_to_xml*': 'reads whole schemas',
  'database_to_xml*': 'reads the whole database',
  xpath_table: 'runs SQL text (xml2)',
  'crosstab*': 'runs SQL text (tablefunc)',
  'connectby*': 'runs SQL text (tablefunc)',
  ts_stat: 'runs SQL text',
  ts_rewrite: 'may run SQL text',
  'pg_background_*': 'runs SQL in another session',
  'cron.*': 'schedules SQL (pg_cron)',
  // Time, locks, sequences, settings, transactions.
  'pg_sleep*': 'stalls the session',
  'pg_advisory_*': 'takes locks',
  'pg_try_advisory_*': 'takes locks',
  nextval: 'advances a sequence',
  setval: 'changes a sequence',
  currval: 'reads session sequence state',
  lastval: 'reads session sequence state',
  set_config: 'changes a server setting',
  current_setting: 'reads server settings (which may hold secrets)',
  'txid_*': 'reads or assigns transaction ids',
  'pg_current_xact_id*': 'assigns transaction ids',
  pg_current_snapshot: 'reads other sessions’ transaction state',
  pg_export_snapshot: 'exports a snapshot to other sessions',
  // Other sessions and server administration.
  pg_notify: 'sends a notification to other sessions',
  pg_cancel_backend: 'signals another session',
  pg_terminate_backend: 'signals another session',
  pg_signal_backend: 'signals another session',
  pg_reload_conf: 'reloads the server configuration',
  pg_rotate_logfile: 'rotates server logs',
  'pg_switch_*': 'switches the WAL file',
  pg_create_restore_point: 'writes to the WAL',
  'pg_backup_*': 'controls backups',
  pg_start_backup: 'controls backups',
  pg_stop_backup: 'controls backups',
  pg_promote: 'promotes a standby',
  'pg_wal_replay_*': 'controls replication',
  'pg_logical_*': 'reads or writes logical replication',
  'pg_replication_*': 'controls replication',
  'pg_create_*_replication_slot': 'creates a replication slot',
  'pg_copy_*_replication_slot': 'creates a replication slot',
  pg_drop_replication_slot: 'drops a replication slot',
  pg_sync_replication_slots: 'controls replication',
  pg_import_system_collations: 'creates catalog entries',
  'pg_stat_reset*': 'resets statistics',
  pg_stat_statements_reset: 'resets statistics',
  pg_log_backend_memory_contexts: 'writes server logs',
  pg_log_standby_snapshot: 'writes to the WAL',
  pg_prewarm: 'loads relations into shared buffers',
  pg_truncate_visibility_map: 'changes relation files',
};

/** Why `name` is denied (`name` as the query wrote it, parts joined with `.`), or undefined. */
export function deniedFunctionReason(
  name: string,
  extra: readonly string[] = [],
): { entry: string; reason: string } | undefined {
  for (const [entry, reason] of Object.entries(DENIED_FUNCTIONS)) {
    if (matchesFunctionEntry(name, entry, 'any-schema')) return { entry, reason };
  }
  for (const entry of extra) {
    if (matchesFunctionEntry(name, entry, 'any-schema')) return { entry, reason: 'denied by configuration' };
  }
  return undefined;
}

/** True when `name` is covered by the allowlist (see `GuardOptions.allowFunctions`). */
export function isFunctionAllowed(name: string, allow: readonly string[]): boolean {
  return allow.some((entry) => matchesFunctionEntry(name, entry, 'catalog-only'));
}

/**
 * `any-schema`: a bare entry matches the bare name under every schema (denylist: fail closed).
 * `catalog-only`: a bare entry matches only unqualified or `pg_catalog.` calls (allowlist: a
 * look-alike in another schema must be listed by its qualified name).
 */
function matchesFunctionEntry(name: string, entry: string, bare: 'any-schema' | 'catalog-only'): boolean {
  const parts = name.toLowerCase().split('.');
  const wanted = entry.toLowerCase();
  const base = parts[parts.length - 1] ?? '';
  const schema = parts.length > 1 ? parts.slice(0, -1).join('.') : undefined;
  if (wanted.includes('.')) {
    // An unqualified call resolves in pg_catalog first, so `pg_catalog.lower` covers `lower`.
    const qualified =
      schema === undefined && bare === 'catalog-only' ? `pg_catalog.${base}` : parts.join('.');
    return globMatch(qualified, wanted);
  }
  if (bare === 'catalog-only' && schema !== undefined && schema !== 'pg_catalog') return false;
  return globMatch(base, wanted);
}

function globMatch(value: string, pattern: string): boolean {
  if (!pattern.includes('*')) return value === pattern;
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return re.test(value);
}
