import { Command } from 'commander';
import { SluiceError } from '../../core/errors.js';

interface ServeOptions {
  config?: string;
  listen: string;
  tlsCert?: string;
  tlsKey?: string;
  maxPerIdentity: string;
  maxConcurrent: string;
  maxQueued: string;
  maxQueueWait: string;
  drainTimeout: string;
  json?: boolean;
}

/** `pipeline proxy serve`: the extraction proxy as a network service. */
export function proxyCommand(): Command {
  const proxy = new Command('proxy').description(
    'The extraction proxy as a network service: it holds the database credentials, authenticates callers, decides under the policy, masks and audits.',
  );
  proxy
    .command('serve')
    .description(
      'Serve POST /v1/extract (masked Arrow IPC stream), POST /v1/plan, GET /healthz and GET /metrics. SIGTERM drains in-flight streams, then exits.',
    )
    .option('-c, --config <file>', 'config file (default: $SLUICE_CONFIG, else the nearest sluice.yaml)')
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:8080')
    .option('--tls-cert <file>', 'PEM certificate (chain); serve HTTPS')
    .option('--tls-key <file>', 'PEM private key of the certificate')
    .option('--max-per-identity <n>', 'concurrent extractions per identity (more wait in the queue)', '4')
    .option('--max-concurrent <n>', 'concurrent extractions in total (more wait in the queue)', '64')
    .option('--max-queued <n>', 'requests that may wait for a slot (more get 429 with Retry-After)', '256')
    .option(
      '--max-queue-wait <seconds>',
      'how long a request waits for a slot before 429 (keep it under the clients timeout_ms)',
      '20',
    )
    .option('--drain-timeout <seconds>', 'on SIGTERM, how long in-flight streams may finish', '30')
    .option('--json', 'print the listening address as one JSON document')
    .action(async (opts: ServeOptions) => {
      const { host, port } = parseListen(opts.listen);
      if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) {
        throw new SluiceError('USAGE', 'Give both `--tls-cert` and `--tls-key` to serve HTTPS, or neither.');
      }
      const [
        { readFile },
        { findConfigFrom },
        { createRegistry },
        { loadServerConfig },
        { startProxyServer },
        logging,
      ] = await Promise.all([
        import('node:fs/promises'),
        import('../../config/find-config.js'),
        import('../registry.js'),
        import('../../proxy/server/load-server-config.js'),
        import('../../proxy/server/proxy-server.js'),
        import('../../core/logger.js'),
      ]);
      const configPath = await findConfigFrom(process.cwd(), opts.config, process.env);
      const setup = await loadServerConfig(configPath, await createRegistry(), process.env);
      const readPem = async (file: string, what: string) => {
        try {
          return await readFile(file);
        } catch (cause) {
          throw new SluiceError('CONFIG_NOT_FOUND', `${what} \`${file}\` cannot be read. Check the path.`, {
            cause,
            context: { file },
          });
        }
      };
      const tls =
        opts.tlsCert !== undefined && opts.tlsKey !== undefined
          ? {
              cert: await readPem(opts.tlsCert, 'TLS certificate'),
              key: await readPem(opts.tlsKey, 'TLS key'),
            }
          : undefined;
      const logger = logging.createLogger();
      const server = await startProxyServer({
        setup,
        host,
        port,
        tls,
        maxPerIdentity: positive(opts.maxPerIdentity, '--max-per-identity'),
        maxConcurrent: positive(opts.maxConcurrent, '--max-concurrent'),
        maxQueued: positive(opts.maxQueued, '--max-queued'),
        maxQueueWaitMs: positive(opts.maxQueueWait, '--max-queue-wait') * 1000,
        logger,
      });
      process.stdout.write(
        opts.json
          ? `${JSON.stringify({ url: server.url, port: server.port, config: setup.configPath, audit_log: setup.auditPath })}\n`
          : `Sluice proxy listening on ${server.url} (config ${setup.configPath}, audit log ${setup.auditPath})\n`,
      );
      if (!tls && host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
        logger.warn(
          'proxy: serving plain HTTP on a non-loopback address: bearer tokens cross the network in clear. Use --tls-cert/--tls-key.',
        );
      }
      if (!setup.policy) {
        logger.warn(
          'proxy: the config names no `policy`: any authenticated caller may read any connection (only the SQL guard applies).',
        );
      }
      const graceMs = positive(opts.drainTimeout, '--drain-timeout') * 1000;
      await new Promise<void>((resolve) => {
        const stop = (signal: NodeJS.Signals) => {
          logger.info(`proxy: ${signal}: draining in-flight streams (up to ${graceMs / 1000}s) …`);
          server.close(graceMs).then(resolve, resolve);
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
    });
  return proxy;
}

function parseListen(listen: string): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(listen);
  const port = Number(match?.[2]);
  if (!match?.[1] || !Number.isInteger(port) || port > 65_535) {
    throw new SluiceError('USAGE', `\`--listen ${listen}\` is not \`host:port\`, e.g. \`127.0.0.1:8080\`.`);
  }
  return { host: match[1].replace(/^\[|\]$/g, ''), port };
}

function positive(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new SluiceError('USAGE', `\`${flag}\` must be a positive integer.`);
  return n;
}
