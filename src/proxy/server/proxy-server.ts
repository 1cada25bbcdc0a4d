import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp } from 'node:fs/promises';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { RecordBatch, type Schema } from 'apache-arrow';
import { openApprovalGate } from '../../approvals/open-approval-gate.js';
import type { MaskConfig } from '../../config/load-project.js';
import { removeQuietly } from '../../core/atomic-file.js';
import { SluiceError, toSluiceError } from '../../core/errors.js';
import { EventBus, type IdentityFacts } from '../../core/events.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import { AuditTrail } from '../../engine/audit-trail.js';
import { canonicalHash } from '../../evidence/canonical-json.js';
import { appliedMask } from '../../evidence/manifest/manifest-builder.js';
import type { ManifestMask } from '../../evidence/manifest/manifest-schema.js';
import { identityFacts } from '../../identity/identity.js';
import { resolveIdentity } from '../../identity/resolve-identity.js';
import { type Extraction, type ExtractRequest, type ExtractSetup, extractSource } from '../extract-source.js';
import { AdmissionQueue } from './admission-queue.js';
import { HTTP_STATUS } from './http-status.js';
import { encodeSchema, IpcChunkWriter } from './ipc-chunk-writer.js';
import type { ProxyServerConfig } from './load-server-config.js';
import { ProxyMetrics } from './metrics.js';
import { extractBodySchema, MAX_BODY_BYTES } from './request-schema.js';

export const ARROW_STREAM_TYPE = 'application/vnd.apache.arrow.stream';

export interface ProxyServerOptions {
  setup: ProxyServerConfig;
  host: string;
  /** 0 picks a free port. */
  port: number;
  tls?: { cert: Buffer; key: Buffer } | undefined;
  /** Extractions (and plans) one identity may run at once; more wait in the queue. Default 4. */
  maxPerIdentity?: number | undefined;
  /** Extractions the server runs at once; more wait in the queue. Default 64. */
  maxConcurrent?: number | undefined;
  /** Requests that may wait for a slot; more get 429 with `Retry-After`. Default 256. */
  maxQueued?: number | undefined;
  /** How long a request waits for a slot before it gets 429 with `Retry-After`. Default 20 s (under the client's default `timeout_ms` of 30 s). */
  maxQueueWaitMs?: number | undefined;
  /** A client that takes no bytes for this long is dropped and its extraction cancelled. Default 5 min. */
  stallTimeoutMs?: number | undefined;
  logger?: Logger | undefined;
}

export interface ProxyServer {
  /** `http://host:port` or `https://…`. */
  readonly url: string;
  readonly port: number;
  readonly metrics: ProxyMetrics;
  /** Stops accepting requests, lets in-flight streams finish (aborting them after `graceMs`), closes the audit log. */
  close(graceMs?: number): Promise<void>;
}

type Route = '/v1/extract' | '/v1/plan' | '/healthz' | '/metrics' | 'other';

/** An error with the HTTP status to answer it with, when the code's default does not fit. */
function httpError(status: number, code: SluiceError['code'], message: string): SluiceError {
  return new SluiceError(code, message, { context: { http_status: status } });
}

function statusOf(err: SluiceError): number {
  const explicit = err.context['http_status'];
  return typeof explicit === 'number' ? explicit : HTTP_STATUS[err.code];
}

function requestId(): string {
  return `px-${new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${randomBytes(4).toString('hex')}`;
}

/**
 * Starts the extraction proxy: `POST /v1/extract` streams masked Arrow record batches for an
 * authenticated identity whose request the policy allows; `POST /v1/plan` returns the decision and
 * the output schema; `GET /healthz`, `GET /metrics`. Database credentials stay in the server's config.
 *
 * @example
 * const server = await startProxyServer({ setup: await loadServerConfig('sluice.yaml', registry), host: '127.0.0.1', port: 8443 });
 */
export async function startProxyServer(options: ProxyServerOptions): Promise<ProxyServer> {
  const { setup } = options;
  const logger = options.logger ?? silentLogger;
  const stallTimeoutMs = options.stallTimeoutMs ?? 300_000;
  const metrics = new ProxyMetrics();
  const admission = new AdmissionQueue(
    {
      maxPerIdentity: options.maxPerIdentity ?? 4,
      maxConcurrent: options.maxConcurrent ?? 64,
      maxQueued: options.maxQueued ?? 256,
      maxWaitMs: options.maxQueueWaitMs ?? 20_000,
    },
    {
      onWait: (seconds) => metrics.queueWait.observe({}, seconds),
      onRefuse: (reason) => metrics.queueRefused.add({ reason }),
    },
  );
  const trail = await AuditTrail.open(setup.auditPath);
  const extractSetup: ExtractSetup = {
    ...setup,
    // Sensitive access through the server files approval requests in the server's store, like a run.
    approvalGate: (request) =>
      openApprovalGate({
        config: setup.config,
        configDir: setup.configDir,
        // There is no pipeline file here: the approval binds to the request exactly as sent.
        pipelineSha256: canonicalHash({
          source: request.source,
          connection: request.connection,
          query: request.query ?? null,
          table: request.table ?? null,
          columns: request.columns ?? null,
          purpose: request.purpose,
          masks: request.masks,
        }),
        record: (event) => trail.record(event),
        warn: (message) => logger.warn(message),
      }),
  };
  const tempDir = await mkdtemp(join(tmpdir(), 'sluice-proxy-'));
  const inFlight = new Map<string, AbortController>();
  let draining = false;
  let drained: (() => void) | undefined;

  function sendJson(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
      ...headers,
    });
    res.end(text);
  }

  function sendError(res: ServerResponse, err: unknown, id?: string): number {
    const error = toSluiceError(err);
    const status = statusOf(error);
    // An internal error's text may come from a driver; the client gets the code, the log the rest.
    const message =
      status === 500 && error.code === 'INTERNAL'
        ? `The proxy failed unexpectedly${id ? ` (request \`${id}\`)` : ''}. The server log has the details.`
        : error.message;
    if (status >= 500) logger.error(`proxy: request ${id ?? '-'} failed: [${error.code}] ${error.message}`);
    const details: Record<string, unknown> = {};
    for (const k of ['reasons', 'approval', 'policy_version'] as const) {
      if (error.context[k] !== undefined) details[k] = error.context[k];
    }
    if (res.headersSent) return status;
    sendJson(
      res,
      status,
      {
        error: {
          code: error.code,
          message,
          retryable: error.retryable,
          ...(Object.keys(details).length > 0 ? { details } : {}),
          ...(id ? { request_id: id } : {}),
        },
      },
      {
        ...(id ? { 'sluice-request-id': id } : {}),
        ...(status === 401 ? { 'www-authenticate': 'Bearer realm="sluice"' } : {}),
        ...(typeof error.context['retry_after_s'] === 'number'
          ? { 'retry-after': String(error.context['retry_after_s']) }
          : {}),
        ...(status === 413 || draining ? { connection: 'close' } : {}),
      },
    );
    return status;
  }

  async function authenticate(req: IncomingMessage, id: string, signal: AbortSignal): Promise<IdentityFacts> {
    const header = req.headers.authorization;
    const match = header === undefined ? null : /^Bearer[ ]+([^\s]+)[ ]*$/i.exec(header);
    if (!match?.[1]) {
      trail.authentication(
        {
          outcome: 'failure',
          method: 'none',
          credential_source: 'none',
          reason: header === undefined ? 'missing_credential' : 'malformed',
          error_code: 'AUTH_FAILED',
        },
        id,
      );
      throw new SluiceError(
        'AUTH_FAILED',
        header === undefined
          ? 'No credential was given. Send `Authorization: Bearer <token>` with a Sluice API token or an OIDC token.'
          : 'The `Authorization` header is not `Bearer <token>`. Send the token after `Bearer `.',
      );
    }
    const identity = await resolveIdentity({
      authenticators: setup.authenticators,
      env: { SLUICE_TOKEN: match[1] },
      baseDir: setup.configDir,
      signal,
      onAuthentication: (event) => trail.authentication(event, id),
    });
    return identityFacts(identity);
  }

  async function readBody(req: IncomingMessage): Promise<unknown> {
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    const tooLarge = () =>
      httpError(
        413,
        'USAGE',
        `The request body is larger than ${MAX_BODY_BYTES} bytes. Send only the source spec (connection, query or table, purpose, masks).`,
      );
    if (declared > MAX_BODY_BYTES) {
      req.resume();
      throw tooLarge();
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.resume();
        throw tooLarge();
      }
      chunks.push(chunk);
    }
    const type = req.headers['content-type'] ?? '';
    if (!/^application\/json\b/i.test(type)) {
      throw httpError(415, 'USAGE', 'The request body must be JSON: send `Content-Type: application/json`.');
    }
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      throw new SluiceError('USAGE', 'The request body is not valid JSON.');
    }
  }

  function parseBody(raw: unknown): ExtractRequest {
    const parsed = extractBodySchema.safeParse(raw);
    if (parsed.success) {
      const masks: Record<string, MaskConfig> = {};
      for (const [column, { key_id, ...rest }] of Object.entries(parsed.data.masks)) {
        masks[column] = { ...rest, ...(key_id === undefined ? {} : { key_id }) };
      }
      return { ...parsed.data, masks };
    }
    const issues = parsed.error.issues.map(
      (i) => `${i.path.length > 0 ? `\`${i.path.join('.')}\`: ` : ''}${i.message}`,
    );
    throw new SluiceError('USAGE', `The request is invalid: ${issues.join('; ')}.`);
  }

  async function acquire(identity: IdentityFacts, signal: AbortSignal): Promise<() => void> {
    metrics.queueDepth.add({}, 1);
    try {
      return await admission.acquire(`${identity.issuer}\u0000${identity.subject}`, identity.subject, signal);
    } finally {
      metrics.queueDepth.add({}, -1);
    }
  }

  function decisionSummary(extraction: Extraction) {
    const d = extraction.decision;
    return {
      verdict: d?.verdict ?? 'allow',
      policy_version: d?.policy_version ?? 'none',
      ...(setup.policy === undefined ? {} : { policy_path: basename(setup.policy.path) }),
      reasons: d?.reasons ?? [],
      ...(d?.matched_rule === undefined ? {} : { matched_rule: d.matched_rule }),
      ...(d?.row_limit === undefined ? {} : { row_limit: d.row_limit }),
      mandatory_masks: Object.keys(d?.mandatory_masks ?? {}),
    };
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, route: '/v1/extract' | '/v1/plan') {
    const id = requestId();
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort(new SluiceError('CANCELLED', 'The client disconnected.'));
    });
    inFlight.set(id, abort);
    const events = new EventBus(id);
    // Sent in the `sluice-masks` trailer (base64url JSON) so the client's manifest records them.
    const masksApplied: ManifestMask[] = [];
    events.on((event) => {
      if (event.type === 'decision') {
        metrics.decisions.add({ verdict: event.verdict });
        trail.listener(event);
      } else if (event.type === 'mask_applied') {
        masksApplied.push(appliedMask(event));
      }
    });
    const started = Date.now();
    let release: (() => void) | undefined;
    let extraction: Extraction | undefined;
    let streaming = false;
    let rows = 0;
    let bytes = 0;
    let outcome: 'succeeded' | 'failed' | 'cancelled' = 'succeeded';
    let errorCode: SluiceError['code'] | undefined;
    let status = 200;
    let sourceName = 'extract';
    let failure: SluiceError | undefined;
    try {
      if (req.method !== 'POST') throw httpError(405, 'USAGE', `Use POST for \`${route}\`.`);
      // No identity, no data: authentication comes before the body is even read.
      const identity = await authenticate(req, id, abort.signal);
      const body = parseBody(await readBody(req));
      sourceName = body.source;
      release = await acquire(identity, abort.signal);
      extraction = await extractSource(extractSetup, identity, body, {
        events,
        runId: id,
        tempDir,
        logger,
        signal: abort.signal,
      });
      await trail.flush(); // the decision is on the audit log before any row is read
      const decision = decisionSummary(extraction);
      if (route === '/v1/plan') {
        await extraction.close();
        sendJson(
          res,
          200,
          {
            request_id: id,
            decision,
            schema: {
              fields: extraction.schema.fields.map((f) => ({
                name: f.name,
                type: String(f.type),
                nullable: f.nullable,
              })),
              arrow_ipc_base64: encodeSchema(extraction.schema).toString('base64'),
            },
          },
          { 'sluice-request-id': id },
        );
        return;
      }
      trail.record({
        kind: 'extraction_started',
        run_id: id,
        decision_id: id,
        source: body.source,
        connection: body.connection,
        subject: identity.subject,
      });
      await trail.flush();
      streaming = true;
      metrics.inFlight.add({}, 1);
      res.writeHead(200, {
        'content-type': ARROW_STREAM_TYPE,
        'cache-control': 'no-store',
        'sluice-request-id': id,
        'sluice-decision': Buffer.from(JSON.stringify(decision)).toString('base64url'),
        trailer: 'sluice-status, sluice-rows, sluice-masks, sluice-error',
      });
      const send = async (chunks: Uint8Array[]) => {
        for (const chunk of chunks) {
          bytes += chunk.byteLength;
          // Backpressure: a slow client holds the source, not server memory.
          if (!res.write(chunk)) {
            await once(res, 'drain', {
              signal: AbortSignal.any([abort.signal, AbortSignal.timeout(stallTimeoutMs)]),
            }).catch((err: unknown) => {
              if (!abort.signal.aborted) abort.abort(new SluiceError('TIMEOUT', 'The client stalled.'));
              throw err;
            });
          }
        }
      };
      const writer = new IpcChunkWriter().begin(extraction.schema);
      await send(writer.take());
      for await (const batch of extraction.batches) {
        if (rows === 0) metrics.firstBatch.observe({}, (Date.now() - started) / 1000);
        writer.write(conform(batch, extraction.schema));
        rows += batch.numRows;
        await send(writer.take());
      }
      writer.finish();
      await send(writer.take());
      res.addTrailers({
        'sluice-status': 'ok',
        'sluice-rows': String(rows),
        // The masks as applied (names, parameters without secrets, counts), for the client's manifest.
        'sluice-masks': Buffer.from(JSON.stringify(masksApplied)).toString('base64url'),
      });
    } catch (err) {
      const error = abort.signal.aborted
        ? new SluiceError('CANCELLED', 'The client disconnected; the extraction was stopped.', { cause: err })
        : toSluiceError(err);
      outcome = error.code === 'CANCELLED' ? 'cancelled' : 'failed';
      errorCode = error.code;
      if (!res.headersSent) {
        failure = error; // answered after the audit log has the attempt
      } else if (!res.destroyed) {
        // Mid-stream: no end-of-stream marker, and a trailer that tells the client why.
        logger.warn(`proxy: request ${id} failed mid-stream: [${error.code}]`);
        res.addTrailers({
          'sluice-status': 'error',
          'sluice-error': Buffer.from(
            JSON.stringify({
              code: error.code,
              message: error.code === 'INTERNAL' ? 'internal error' : error.message,
            }),
          ).toString('base64url'),
        });
      }
    } finally {
      if (extraction) await extraction.close().catch(() => undefined);
      release?.();
      if (streaming) {
        metrics.inFlight.add({}, -1);
        metrics.extractions.add({ outcome });
        metrics.rows.add({}, rows);
        metrics.bytes.add({}, bytes);
        trail.record({
          kind: 'extraction_finished',
          run_id: id,
          decision_id: id,
          source: sourceName,
          rows,
          bytes,
          duration_ms: Date.now() - started,
          outcome,
          ...(errorCode === undefined ? {} : { error_code: errorCode }),
        });
      }
      await trail.flush().catch((err: unknown) => {
        logger.error(`proxy: the audit log could not be written: ${toSluiceError(err).message}`);
      });
      if (failure && !res.headersSent) status = sendError(res, failure, id);
      if (streaming && !res.destroyed) res.end();
      metrics.requests.add({ route, status: String(status) });
      metrics.duration.observe({ route }, (Date.now() - started) / 1000);
      inFlight.delete(id);
      if (draining && inFlight.size === 0) drained?.();
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route: Route =
      path === '/v1/extract' || path === '/v1/plan' || path === '/healthz' || path === '/metrics'
        ? path
        : 'other';
    if (route === '/healthz') {
      sendJson(res, draining ? 503 : 200, { status: draining ? 'draining' : 'ok' });
      metrics.requests.add({ route, status: draining ? '503' : '200' });
      return;
    }
    if (route === '/metrics') {
      const text = metrics.render();
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(text);
      metrics.requests.add({ route, status: '200' });
      return;
    }
    if (route === 'other') {
      req.resume();
      const status = sendError(
        res,
        httpError(
          404,
          'USAGE',
          `No such endpoint \`${path}\`. Endpoints: POST /v1/extract, POST /v1/plan, GET /healthz, GET /metrics.`,
        ),
      );
      metrics.requests.add({ route, status: String(status) });
      return;
    }
    if (draining) {
      req.resume();
      const status = sendError(
        res,
        httpError(503, 'SOURCE_UNAVAILABLE', 'The proxy is shutting down. Retry against another instance.'),
      );
      metrics.requests.add({ route, status: String(status) });
      return;
    }
    await handleApi(req, res, route);
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((err: unknown) => {
      logger.error(`proxy: unhandled failure: ${toSluiceError(err).message}`);
      if (!res.headersSent) sendError(res, err);
      else res.destroy();
    });
  };
  const server: Server = options.tls
    ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, listener)
    : createHttpServer(listener);
  server.requestTimeout = 60_000;
  server.headersTimeout = 30_000;
  server.listen(options.port, options.host);
  await once(server, 'listening');
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${options.tls ? 'https' : 'http'}://${host}:${address.port}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    port: address.port,
    metrics,
    close(graceMs = 30_000) {
      closing ??= (async () => {
        draining = true;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        if (inFlight.size > 0) {
          const done = new Promise<void>((resolve) => {
            drained = resolve;
          });
          const timer = setTimeout(() => {
            for (const c of inFlight.values()) c.abort(new SluiceError('CANCELLED', 'The proxy shut down.'));
          }, graceMs);
          await done;
          clearTimeout(timer);
        }
        server.closeAllConnections();
        await closed;
        await trail.close();
        await removeQuietly(tempDir);
      })();
      return closing;
    },
  };
}

/** The declared schema on every batch, so the stream never restarts with a new schema message. */
function conform(batch: RecordBatch, schema: Schema): RecordBatch {
  if (batch.schema === schema) return batch;
  const same =
    batch.schema.fields.length === schema.fields.length &&
    batch.schema.fields.every((f, i) => f.typeId === schema.fields[i]?.typeId);
  if (!same) {
    throw new SluiceError(
      'SCHEMA_MISMATCH',
      'The source returned batches whose columns differ from the schema it described. Run the extraction again.',
    );
  }
  return new RecordBatch(schema, batch.data);
}
