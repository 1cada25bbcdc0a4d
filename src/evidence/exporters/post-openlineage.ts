import { setTimeout as sleep } from 'node:timers/promises';
import { SluiceError } from '../../core/errors.js';

export interface PostOpenLineageOptions {
  /** Attempts after the first for a network error, 429 or 5xx (default 3). */
  retries?: number;
  /** First backoff; doubles on each retry (default 500 ms). */
  backoffMs?: number;
  /** Extra headers, e.g. `Authorization` (never logged or put in an error). */
  headers?: Record<string, string>;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Posts each event, in order, to an OpenLineage HTTP endpoint (Marquez: `POST /api/v1/lineage`,
 * one event per request). Retries network errors, 429 and 5xx with exponential backoff; any other
 * non-2xx status fails at once.
 */
export async function postOpenLineage(
  url: string,
  events: readonly unknown[],
  options: PostOpenLineageOptions = {},
): Promise<{ posted: number; attempts: number }> {
  const retries = options.retries ?? 3;
  const backoff = options.backoffMs ?? 500;
  const where = displayUrl(url);
  const { target, headers } = withoutUserInfo(url, options.headers ?? {});
  let attempts = 0;
  for (const event of events) {
    for (let attempt = 0; ; attempt++) {
      attempts++;
      let status: number | undefined;
      let failure: string;
      try {
        const signals = [AbortSignal.timeout(options.timeoutMs ?? 10_000)];
        if (options.signal) signals.push(options.signal);
        const response = await fetch(target, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify(event),
          signal: AbortSignal.any(signals),
        });
        await response.arrayBuffer().catch(() => undefined);
        if (response.ok) break;
        status = response.status;
        failure = `HTTP ${status}`;
      } catch (cause) {
        if (options.signal?.aborted)
          throw new SluiceError('CANCELLED', 'Posting OpenLineage events was interrupted.');
        failure =
          (cause as { cause?: { code?: string } }).cause?.code ?? (cause as Error).name ?? 'network error';
      }
      const retryable = status === undefined || status === 429 || status >= 500;
      if (!retryable || attempt >= retries) {
        throw new SluiceError(
          'SINK_FAILED',
          `OpenLineage endpoint \`${where}\` did not accept an event (${failure}) after ${attempt + 1} attempt(s). ${retryable ? 'Check the endpoint is up and retry.' : 'Check the URL (Marquez: `/api/v1/lineage`) and the credentials.'}`,
          {
            retryable,
            context: { url: where, ...(status === undefined ? {} : { status }), attempts: attempt + 1 },
          },
        );
      }
      await sleep(backoff * 2 ** attempt, undefined, options.signal ? { signal: options.signal } : undefined);
    }
  }
  return { posted: events.length, attempts };
}

/** fetch refuses URLs with user info: move it to a Basic `Authorization` header. */
function withoutUserInfo(
  url: string,
  headers: Record<string, string>,
): { target: string; headers: Record<string, string> } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new SluiceError(
      'USAGE',
      'The OpenLineage URL is not a valid URL. Give e.g. `http://marquez:5000/api/v1/lineage`.',
    );
  }
  if (!u.username && !u.password) return { target: url, headers };
  const basic = Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString(
    'base64',
  );
  u.username = '';
  u.password = '';
  return { target: u.toString(), headers: { authorization: `Basic ${basic}`, ...headers } };
}

/** The URL without user info or query, safe to print. */
function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
