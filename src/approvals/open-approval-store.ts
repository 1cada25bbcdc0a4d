import { resolve } from 'node:path';
import type { SluiceConfig } from '../config/config-schema.js';
import { SluiceError } from '../core/errors.js';
import { EventBus } from '../core/events.js';
import { silentLogger } from '../core/logger.js';
import { createSecretResolver } from '../core/secrets.js';
import { type ApprovalStore, FileApprovalStore } from './approval-store.js';
import { approvalsPath } from './approvals-path.js';
import { type ApprovalDbSession, PostgresApprovalStore } from './postgres-approval-store.js';

/**
 * The approval store a config selects: `approvals.store.type: postgres` (a table on one of its
 * connections), else the approvals file. Opens nothing until the first request or decision.
 */
export function openApprovalStore(
  config: Pick<SluiceConfig, 'audit' | 'approvals' | 'connections'>,
  configDir: string,
  env: NodeJS.ProcessEnv = process.env,
): ApprovalStore {
  const store = config.approvals?.store;
  if (store === undefined || store.type === 'file')
    return new FileApprovalStore(approvalsPath(config, configDir));
  const connection = config.connections[store.connection] as { type: string } | undefined;
  if (connection?.type !== 'postgres') {
    const postgres = Object.entries(config.connections)
      .filter(([, c]) => (c as { type: string }).type === 'postgres')
      .map(([name]) => `\`${name}\``);
    throw new SluiceError(
      'CONFIG_INVALID',
      `\`approvals.store.connection\` names \`${store.connection}\`, which is ${connection === undefined ? 'not a connection of the config' : `a \`${connection.type}\` connection`}. Name a \`postgres\` connection${postgres.length > 0 ? `: ${postgres.join(', ')}` : ''}.`,
      { context: { connection: store.connection } },
    );
  }
  return new PostgresApprovalStore({
    table: store.table,
    describe: `connection \`${store.connection}\``,
    connect: postgresSessions(connection, configDir, env),
  });
}

/** Sessions on a `postgres` connection of the config, through the connector's driver (loaded lazily). */
function postgresSessions(
  connection: { type: string },
  configDir: string,
  env: NodeJS.ProcessEnv,
): () => Promise<ApprovalDbSession> {
  let pool: Promise<{ session(): Promise<ApprovalDbSession> }> | undefined;
  return async () => {
    pool ??= (async () => {
      const [{ createPgPool }, { resolveConnection }, { postgresConfigSchema }] = await Promise.all([
        import('../../connectors/postgres/driver.js'),
        import('../../connectors/postgres/connect-options.js'),
        import('../../connectors/postgres/config.js'),
      ]);
      const ctx = {
        runId: 'approvals',
        events: new EventBus('approvals'),
        logger: silentLogger,
        baseDir: configDir,
        secrets: createSecretResolver(configDir, env),
        keys: { get: () => Promise.reject(new Error('no keys')), ids: () => [] },
        tempDir: resolve(configDir),
      };
      const resolved = await resolveConnection(
        postgresConfigSchema.parse(connection),
        ctx,
        'sluice:approvals',
      );
      return createPgPool({ ...resolved.options, max: 2 });
    })();
    pool.catch(() => {
      pool = undefined;
    });
    return (await pool).session();
  };
}
