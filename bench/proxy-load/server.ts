// The proxy server of the load benchmark, in its own process so its peak RSS is its own.
// Extractions beyond `max concurrent` wait in the admission queue.
// Prints `{"url": …, "rss_mib": …}` once listening; on SIGTERM drains and prints `{"peak_rss_mib": …}`.
import { createRegistry } from '../../src/cli/registry.js';
import { loadServerConfig } from '../../src/proxy/server/load-server-config.js';
import { startProxyServer } from '../../src/proxy/server/proxy-server.js';

const config = process.argv[2];
if (!config) throw new Error('usage: server.ts <config file> [max concurrent]');
// Every bench client is one identity: the per-identity limit is the server's limit.
const maxConcurrent = Number(process.argv[3] ?? '64');
const setup = await loadServerConfig(config, await createRegistry());
const server = await startProxyServer({
  setup,
  host: '127.0.0.1',
  port: 0,
  maxPerIdentity: maxConcurrent,
  maxConcurrent,
  maxQueued: 256,
  maxQueueWaitMs: 120_000,
});
const mib = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;
let peak = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 25);
process.stdout.write(`${JSON.stringify({ url: server.url, rss_mib: mib(process.memoryUsage().rss) })}\n`);
process.on('SIGUSR2', () => {
  process.stdout.write(`${JSON.stringify({ peak_rss_mib: mib(peak) })}\n`);
  peak = process.memoryUsage().rss;
});
process.once('SIGTERM', () => {
  clearInterval(sampler);
  void server.close(5000).then(() => {
    process.stdout.write(`${JSON.stringify({ peak_rss_mib: mib(peak) })}\n`);
    process.exit(0);
  });
});
