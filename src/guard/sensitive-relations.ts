/**
 * Relations denied by name (in any schema, case-insensitive) because they expose credentials,
 * raw column values outside the masking path, other sessions' query text, or server settings.
 */
export const SENSITIVE_RELATIONS: Readonly<Record<string, string>> = {
  pg_authid: 'holds password hashes',
  pg_shadow: 'holds password hashes',
  pg_user_mapping: 'holds foreign-server credentials',
  pg_user_mappings: 'holds foreign-server credentials',
  user_mapping_options: 'holds foreign-server credentials',
  _pg_user_mappings: 'holds foreign-server credentials',
  pg_subscription: 'holds replication connection strings',
  pg_db_role_setting: 'holds per-role settings, which may hold secrets',
  pg_largeobject: 'holds large-object contents outside any policy',
  pg_largeobject_metadata: 'describes large objects outside any policy',
  pg_statistic: 'holds sample column values, bypassing masks',
  pg_statistic_ext_data: 'holds sample column values, bypassing masks',
  pg_stats: 'shows sample column values, bypassing masks',
  pg_stats_ext: 'shows sample column values, bypassing masks',
  pg_stats_ext_exprs: 'shows sample column values, bypassing masks',
  pg_stat_activity: 'shows other sessions’ query text',
  pg_stat_statements: 'shows other sessions’ query text',
  pg_settings: 'shows server settings',
  pg_file_settings: 'reads server configuration files',
  pg_hba_file_rules: 'reads server configuration files',
  pg_ident_file_mappings: 'reads server configuration files',
};

export function sensitiveRelationReason(name: string): string | undefined {
  const key = name.toLowerCase();
  return Object.hasOwn(SENSITIVE_RELATIONS, key) ? SENSITIVE_RELATIONS[key] : undefined;
}
