import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SluiceError } from '../../src/core/errors.js';
import { postToProxyWithRetries } from './proxy-request.js';

let server: Server | undefined;

afterEach(async () => {
  await new Promise((done) => server?.close(done) ?? done(undefined));
  server = undefined;
});

/** A stand-in proxy that turns the first `busy` requests away with 429, then answers 200. */
async function busyProxy(busy: number): Promise<{ url: URL; requests: () => number }> {
  let requests = 0;
  server = createServer((req, res) => {
    req.resume();
    requests++;
    if (requests <= busy) {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
      res.end(
        JSON.stringify({ error: { code: 'SOURCE_UNAVAILABLE', message: 'The proxy is busy; try again.' } }),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'application/vnd.apache.arrow.stream' });
    res.end();
  });
  await new Promise<void>((done) => server?.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return { url: new URL(`http://127.0.0.1:${port}/v1/extract`), requests: () => requests };
}

const call = (url: URL, signal = new AbortController().signal) => ({
  url,
  token: 't',
  body: {},
  timeoutMs: 5_000,
  signal,
});

describe('requests to a busy proxy', () => {
  it('are sent again after the Retry-After the proxy asks for', async () => {
    const proxy = await busyProxy(1);
    const waits: number[] = [];
    const started = Date.now();
    const res = await postToProxyWithRetries(call(proxy.url), 3, (waitS) => waits.push(waitS));
    res.resume();
    expect(res.statusCode).toBe(200);
    expect(proxy.requests()).toBe(2);
    expect(waits).toEqual([1]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
  });

  it('fail with the proxy’s retryable error once the retries are used up', async () => {
    const proxy = await busyProxy(5);
    const err = await postToProxyWithRetries(call(proxy.url), 0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SluiceError);
    expect((err as SluiceError).retryable).toBe(true);
    expect((err as SluiceError).context.http_status).toBe(429);
    expect(proxy.requests()).toBe(1);
  });

  it('stop waiting when the run is interrupted', async () => {
    const proxy = await busyProxy(5);
    const abort = new AbortController();
    const pending = postToProxyWithRetries(call(proxy.url, abort.signal), 3, () =>
      setTimeout(() => abort.abort(), 50),
    );
    const err = await pending.catch((e: unknown) => e);
    expect((err as SluiceError).code).toBe('CANCELLED');
    expect(proxy.requests()).toBe(1);
  });
});
