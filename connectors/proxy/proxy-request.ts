import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { ERROR_CODES, type ErrorCode } from '../../src/core/error-codes.js';
import { SluiceError } from '../../src/core/errors.js';

export interface ProxyCall {
  url: URL;
  token: string;
  body: unknown;
  ca?: Buffer | undefined;
  timeoutMs: number;
  signal: AbortSignal;
}

/** The longest wait between two attempts, whatever `Retry-After` asks for. */
const MAX_RETRY_WAIT_S = 30;

/**
 * `postToProxy`, sent again up to `retries` times when the proxy turns the request away as busy
 * (HTTP 429: its admission queue is full or the wait ran out). Such a refusal comes before any
 * data, so a retry cannot duplicate rows. Waits `Retry-After` (capped at 30 s) plus jitter.
 */
export async function postToProxyWithRetries(
  call: ProxyCall,
  retries: number,
  onRetry?: (waitS: number, attempt: number) => void,
): Promise<IncomingMessage> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await postToProxy(call);
    } catch (err) {
      const busy = err instanceof SluiceError && err.context?.http_status === 429;
      if (!busy || attempt > retries || call.signal.aborted) throw err;
      const asked = Number(err.context?.retry_after_s ?? 1);
      const waitS = Math.min(MAX_RETRY_WAIT_S, Number.isFinite(asked) && asked > 0 ? asked : 1);
      onRetry?.(waitS, attempt);
      try {
        await sleep(waitS * 1000 * (1 + Math.random() * 0.2), undefined, { signal: call.signal });
      } catch {
        throw new SluiceError('CANCELLED', 'The run was interrupted.');
      }
    }
  }
}

/**
 * POSTs JSON to the proxy and resolves with the response once its headers arrived (status 200),
 * or throws the proxy's error with the proxy's code. Aborting the signal tears the connection
 * down, which makes the server stop the extraction.
 */
export function postToProxy(call: ProxyCall): Promise<IncomingMessage> {
  const text = JSON.stringify(call.body);
  const request = call.url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(call.url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${call.token}`,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
        accept: 'application/vnd.apache.arrow.stream, application/json',
      },
      ...(call.ca ? { ca: call.ca } : {}),
      // The `sluice-masks` trailer lists every masked column; a wide table outgrows the 16 KiB default.
      maxHeaderSize: 1 << 20,
      signal: call.signal,
      timeout: call.timeoutMs,
    });
    req.on('timeout', () =>
      req.destroy(
        new SluiceError(
          'TIMEOUT',
          `The proxy \`${call.url.origin}\` did not answer within ${call.timeoutMs} ms. Check that it runs, or raise \`timeout_ms\`.`,
        ),
      ),
    );
    req.on('error', (err) => reject(unreachable(call.url, err, call.signal)));
    req.on('response', (res) => {
      req.setTimeout(0);
      if (res.statusCode === 200) {
        resolve(res);
        return;
      }
      readError(res, call.url).then(reject, reject);
    });
    req.end(text);
  });
}

function unreachable(url: URL, err: unknown, signal: AbortSignal): SluiceError {
  if (err instanceof SluiceError) return err;
  if (signal.aborted) return new SluiceError('CANCELLED', 'The run was interrupted.', { cause: err });
  const code = (err as NodeJS.ErrnoException).code ?? 'error';
  return new SluiceError(
    'SOURCE_UNAVAILABLE',
    `The proxy \`${url.origin}\` cannot be reached (${code}). Check the connection's \`url\` and that the proxy runs.`,
    { cause: err, context: { url: url.origin, errno: code } },
  );
}

async function readError(res: IncomingMessage, url: URL): Promise<SluiceError> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= 256 * 1024) chunks.push(chunk);
  }
  const status = res.statusCode ?? 0;
  try {
    const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      error?: { code?: string; message?: string; details?: Record<string, unknown> };
    };
    const code = parsed.error?.code;
    if (code !== undefined && code in ERROR_CODES && typeof parsed.error?.message === 'string') {
      const retryAfter = Number(res.headers['retry-after']);
      return new SluiceError(code as ErrorCode, `Proxy: ${parsed.error.message}`, {
        context: {
          http_status: status,
          ...(parsed.error.details ?? {}),
          ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retry_after_s: retryAfter } : {}),
        },
        ...(status === 429 ? { retryable: true } : {}),
      });
    }
  } catch {
    // not JSON: reported below by status
  }
  return new SluiceError(
    status >= 500 ? 'SOURCE_UNAVAILABLE' : 'SOURCE_FAILED',
    `The proxy \`${url.origin}\` answered HTTP ${status} without a Sluice error. Check that \`url\` points at \`pipeline proxy serve\`.`,
    { context: { http_status: status } },
  );
}

/** The trailer error the server sends when a stream fails after it started. */
export function trailerError(res: IncomingMessage): SluiceError | undefined {
  const status = res.trailers['sluice-status'];
  if (status === 'ok') return undefined;
  const raw = res.trailers['sluice-error'];
  if (typeof raw === 'string') {
    try {
      const parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as {
        code?: string;
        message?: string;
      };
      if (parsed.code !== undefined && parsed.code in ERROR_CODES) {
        return new SluiceError(
          parsed.code as ErrorCode,
          `Proxy: ${parsed.message ?? 'the extraction failed'}`,
        );
      }
    } catch {
      // fall through
    }
  }
  return new SluiceError(
    'SOURCE_UNAVAILABLE',
    'The proxy stream ended before the extraction finished (no completion trailer). Run again.',
  );
}
