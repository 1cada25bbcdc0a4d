import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type ComponentContext, describeSecretRef, SluiceError } from '../../src/index.js';
import type { PostgresConfig } from './config.js';
import type { PgConnectOptions } from './driver.js';

/** Connection options and the credential strings that must never be printed. */
export interface ResolvedConnection {
  options: PgConnectOptions;
  /** The DSN and password, for redaction of driver messages. */
  secrets: string[];
  /** `host:port/database`, safe to show. */
  target: string;
}

/** Resolves the DSN secret and TLS files into driver options. Reads files; does not connect. */
export async function resolveConnection(
  config: PostgresConfig,
  ctx: ComponentContext,
  applicationName: string,
): Promise<ResolvedConnection> {
  const secret = await ctx.secrets.resolve(config.dsn, 'The PostgreSQL DSN');
  const dsn = secret.reveal();
  const where = describeSecretRef(config.dsn);
  let url: URL;
  try {
    url = new URL(dsn);
  } catch {
    throw new SluiceError(
      'CONFIG_INVALID',
      `The PostgreSQL DSN in ${where} is not a URL. Write it as \`postgres://user:password@host:5432/database\`.`,
      { context: { dsn: where } },
    );
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new SluiceError(
      'CONFIG_INVALID',
      `The PostgreSQL DSN in ${where} has scheme \`${url.protocol}\`. Use \`postgres://\` or \`postgresql://\`.`,
      { context: { dsn: where } },
    );
  }
  const password = url.password === '' ? undefined : decodeURIComponent(url.password);
  const host = url.searchParams.get('host') ?? (decodeURIComponent(url.hostname) || 'localhost');
  const port = Number(url.port || url.searchParams.get('port') || 5432);
  const user = url.username === '' ? url.searchParams.get('user') : decodeURIComponent(url.username);
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || url.searchParams.get('dbname');
  const sslmode = config.sslmode ?? url.searchParams.get('sslmode') ?? 'disable';

  const file = (path: string) => readFile(resolve(ctx.baseDir, path), 'utf8');
  let ssl: PgConnectOptions['ssl'] = false;
  if (sslmode === 'require' || sslmode === 'verify-ca' || sslmode === 'verify-full') {
    const verify = sslmode !== 'require';
    ssl = {
      rejectUnauthorized: verify,
      ...(config.ssl_ca_file ? { ca: await readTlsFile(file, config.ssl_ca_file) } : {}),
      ...(config.ssl_cert_file ? { cert: await readTlsFile(file, config.ssl_cert_file) } : {}),
      ...(config.ssl_key_file ? { key: await readTlsFile(file, config.ssl_key_file) } : {}),
      ...(sslmode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}),
    };
  } else if (sslmode !== 'disable' && sslmode !== 'prefer' && sslmode !== 'allow') {
    throw new SluiceError(
      'CONFIG_INVALID',
      `The PostgreSQL DSN in ${where} has an unknown \`sslmode\`. Use disable, require, verify-ca or verify-full.`,
      { context: { dsn: where } },
    );
  }

  const options: PgConnectOptions = {
    host,
    port,
    ...(user ? { user } : {}),
    ...(password === undefined ? {} : { password }),
    ...(database ? { database } : {}),
    ssl,
    application_name: applicationName,
    max: config.pool_size,
    connectionTimeoutMillis: config.connect_timeout_ms,
  };
  const secrets = [dsn, ...(password ? [password, url.password] : [])].filter((s) => s.length >= 3);
  return { options, secrets, target: `${host}:${port}/${database ?? ''}` };
}

async function readTlsFile(read: (path: string) => Promise<string>, path: string): Promise<string> {
  try {
    return await read(path);
  } catch (cause) {
    throw new SluiceError(
      'CONFIG_INVALID',
      `The TLS file \`${path}\` cannot be read. Check the path and permissions.`,
      {
        context: { file: path },
        cause,
      },
    );
  }
}
