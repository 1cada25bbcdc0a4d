import { z } from 'zod';

/** Config of a `proxy` connection: extract through a remote `pipeline proxy serve`. */
export const proxyConfigSchema = z
  .strictObject({
    type: z.literal('proxy'),
    url: z
      .url({ protocol: /^https?$/ })
      .describe('Base URL of the proxy server, e.g. `https://sluice-proxy.internal:8443`.'),
    remote_connection: z
      .string()
      .min(1)
      .describe("The connection's name in the proxy server's config; its credentials stay on the server."),
    token_env: z
      .string()
      .min(1)
      .default('SLUICE_TOKEN')
      .describe('Environment variable holding the bearer token (a Sluice API token or an OIDC token).'),
    ca_file: z
      .string()
      .min(1)
      .optional()
      .describe('PEM file of the CA that signed the proxy certificate (relative to the config file).'),
    purpose: z
      .string()
      .min(1)
      .optional()
      .describe("Purpose sent when the engine does not pass the pipeline's purpose (library use)."),
    timeout_ms: z
      .int()
      .positive()
      .default(30_000)
      .describe('Time limit for connecting and for the response headers (not for the whole stream).'),
    retries: z
      .int()
      .min(0)
      .max(10)
      .default(3)
      .describe(
        'How often a request the proxy turned away because it is busy (HTTP 429, e.g. its queue is full) is sent again, each after the `Retry-After` the proxy asks for (at most 30 s). Nothing has been read when this happens.',
      ),
  })
  .describe('A remote extraction proxy (`pipeline proxy serve`): the server decides, masks and audits.');

export type ProxyConfig = z.infer<typeof proxyConfigSchema>;
