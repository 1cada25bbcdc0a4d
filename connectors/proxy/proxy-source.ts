import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { resolve } from 'node:path';
import { type RecordBatch, RecordBatchReader, type Schema } from 'apache-arrow';
import type { ConnectionDefinition } from '../../src/core/component-definition.js';
import type { ComponentContext } from '../../src/core/context.js';
import { SluiceError } from '../../src/core/errors.js';
import type { Source, SourceSpec } from '../../src/core/source.js';
import { type ProxyConfig, proxyConfigSchema } from './config.js';
import { postToProxyWithRetries, trailerError } from './proxy-request.js';
import { remoteDecision, remoteMasks } from './remote-evidence.js';

/**
 * A source whose rows come from a remote proxy: `describe` asks `POST /v1/plan` for the decision and
 * the masked schema, `read` streams `POST /v1/extract` as Arrow IPC. The masks in `spec.masks` are
 * sent along and applied by the server under its policy; this source returns masked batches.
 */
export function createProxySource(config: ProxyConfig, spec: SourceSpec, ctx: ComponentContext): Source {
  const query = spec.query ?? '';
  let decisionId: string | undefined;
  const open = new Set<IncomingMessage>();

  async function call(path: string, signal: AbortSignal): Promise<IncomingMessage> {
    const purpose = spec.purpose ?? config.purpose;
    if (purpose === undefined) {
      throw new SluiceError(
        'CONFIG_INVALID',
        `Source \`${spec.name}\` reads through the proxy, which needs the run's purpose. Set \`purpose\` in the pipeline (or on the \`proxy\` connection for library use).`,
        { context: { source: spec.name } },
      );
    }
    const token = (await ctx.secrets.resolve({ env: config.token_env }, 'The proxy bearer token')).reveal();
    const ca =
      config.ca_file === undefined ? undefined : await readFile(resolve(ctx.baseDir, config.ca_file));
    return postToProxyWithRetries(
      {
        url: new URL(path, config.url.endsWith('/') ? config.url : `${config.url}/`),
        token,
        ca,
        timeoutMs: config.timeout_ms,
        signal,
        body: {
          source: spec.name,
          connection: config.remote_connection,
          ...(spec.query === undefined
            ? { table: spec.table, ...(spec.columns ? { columns: spec.columns } : {}) }
            : { query: spec.query }),
          purpose,
          masks: spec.masks ?? {},
          batch_rows: spec.batch_rows,
        },
      },
      config.retries,
      (waitS, attempt) =>
        ctx.logger.warn(
          `The proxy \`${config.url}\` is busy; asking again for source \`${spec.name}\` in ${waitS} s (retry ${attempt} of ${config.retries}).`,
        ),
    );
  }

  return {
    name: spec.name,
    query,
    async describe(signal: AbortSignal): Promise<Schema> {
      const res = await call('v1/plan', signal);
      const chunks: Buffer[] = [];
      for await (const chunk of res as AsyncIterable<Buffer>) chunks.push(chunk);
      const plan = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        request_id?: string;
        schema?: { arrow_ipc_base64?: string };
      };
      decisionId = plan.request_id;
      const encoded = plan.schema?.arrow_ipc_base64;
      if (typeof encoded !== 'string') {
        throw new SluiceError('SOURCE_FAILED', `The proxy's plan for source \`${spec.name}\` has no schema.`);
      }
      const reader = RecordBatchReader.from(Buffer.from(encoded, 'base64'));
      reader.open();
      return reader.schema;
    },
    async *read(signal: AbortSignal): AsyncIterable<RecordBatch> {
      const res = await call('v1/extract', signal);
      open.add(res);
      try {
        decisionId = (res.headers['sluice-request-id'] as string | undefined) ?? decisionId;
        const decision = remoteDecision(res, spec.name, config.url, decisionId);
        if (decision) ctx.events.emit(decision);
        // The reader stops reading at the end-of-stream marker and would destroy the response;
        // the completion trailer comes after it, so the response is drained here instead.
        const body = (res as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
        const shielded: AsyncIterable<Uint8Array> = {
          [Symbol.asyncIterator]: () => ({
            next: () => body.next(),
            return: async () => ({ done: true as const, value: undefined }),
          }),
        };
        const reader = await RecordBatchReader.from(shielded);
        for await (const batch of reader) {
          if (signal.aborted) break;
          yield batch;
        }
        if (signal.aborted) throw new SluiceError('CANCELLED', 'The run was interrupted.');
        while (!(await body.next()).done) {
          // nothing but padding or trailers can follow the end-of-stream marker
        }
        const failure = trailerError(res);
        if (failure) throw failure;
        // The masks the proxy applied become this run's mask events, as if applied in process.
        for (const mask of remoteMasks(res))
          ctx.events.emit({ type: 'mask_applied', source: spec.name, ...mask });
      } catch (err) {
        if (err instanceof SluiceError) throw err;
        if (signal.aborted) throw new SluiceError('CANCELLED', 'The run was interrupted.', { cause: err });
        throw new SluiceError(
          'SOURCE_UNAVAILABLE',
          `The stream from the proxy for source \`${spec.name}\` broke off. Run again.`,
          { cause: err },
        );
      } finally {
        open.delete(res);
        if (!res.complete) res.destroy();
      }
    },
    snapshot: () => (decisionId === undefined ? undefined : { proxy_request_id: decisionId }),
    async close() {
      for (const res of open) res.destroy();
      open.clear();
    },
  };
}

/** The `proxy` connection type. */
export const proxyConnection: ConnectionDefinition<ProxyConfig> = {
  kind: 'connection',
  type: 'proxy',
  description: proxyConfigSchema.description ?? '',
  configSchema: proxyConfigSchema,
  appliesMasks: true,
  createSource: createProxySource,
};
