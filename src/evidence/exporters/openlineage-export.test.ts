import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Ajv2020 from 'ajv/dist/2020.js';
import { afterEach, describe, expect, it } from 'vitest';
import { buildSampleManifest } from '../manifest/manifest-test-fixture.js';
import { toOpenLineage } from './openlineage-export.js';
import { openLineageRunId } from './openlineage-run-id.js';
import { postOpenLineage } from './post-openlineage.js';
import { sluiceFacetSchemas } from './sluice-facets.js';

const SPEC = new URL('./spec-fixtures/openlineage/', import.meta.url);

/** ajv with the core spec, every vendored facet schema and Sluice's custom facet schemas loaded. */
function validators() {
  const ajv = new Ajv2020.default({ strict: false, allErrors: true, keywords: ['example'] });
  ajv.addFormat('uri', /^[a-z][a-z0-9+.-]*:\S*$/i);
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  ajv.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$/);
  const core = JSON.parse(readFileSync(new URL('OpenLineage.json', SPEC), 'utf8'));
  ajv.addSchema(core);
  const facets = new Map<string, ReturnType<typeof ajv.compile>>();
  const docs = [
    ...readdirSync(new URL('facets/', SPEC)).map((f) =>
      JSON.parse(readFileSync(new URL(`facets/${f}`, SPEC), 'utf8')),
    ),
    ...Object.values(sluiceFacetSchemas()),
  ];
  for (const doc of docs) {
    const validate = ajv.compile(doc);
    for (const key of Object.keys(doc.properties ?? {})) facets.set(key, validate);
  }
  return { event: ajv.compile({ $ref: core.$id }), facets };
}

function facetsOf(event: Record<string, unknown>): [string, Record<string, unknown>][] {
  const out: [string, Record<string, unknown>][] = [];
  const add = (container: unknown) => {
    for (const [k, v] of Object.entries((container ?? {}) as Record<string, Record<string, unknown>>))
      out.push([k, v]);
  };
  add((event.run as { facets?: unknown }).facets);
  add((event.job as { facets?: unknown }).facets);
  for (const d of [...(event.inputs as object[]), ...(event.outputs as object[])]) {
    const ds = d as { facets?: unknown; inputFacets?: unknown; outputFacets?: unknown };
    add(ds.facets);
    add(ds.inputFacets);
    add(ds.outputFacets);
  }
  return out;
}

describe('OpenLineage export', () => {
  it('emits START and COMPLETE events that validate against the core schema and every facet schema', async () => {
    const { manifest } = await buildSampleManifest();
    const events = toOpenLineage(manifest, { manifestDir: '/data/tickets' });
    const { event, facets } = validators();
    expect(events.map((e) => e.eventType)).toEqual(['START', 'COMPLETE']);
    const seen = new Set<string>();
    for (const e of events) {
      expect(event(e), JSON.stringify(event.errors)).toBe(true);
      for (const [key, body] of facetsOf(e)) {
        const validate = facets.get(key);
        expect(validate, `no schema for facet \`${key}\``).toBeDefined();
        expect(validate?.({ [key]: body }), `${key}: ${JSON.stringify(validate?.errors)}`).toBe(true);
        seen.add(key);
      }
    }
    expect([...seen].sort()).toEqual(
      [
        'sql',
        'jobType',
        'schema',
        'dataSource',
        'columnLineage',
        'version',
        'outputStatistics',
        'inputStatistics',
        'processing_engine',
        'sluice_identity',
        'sluice_masking',
      ].sort(),
    );
  });

  it('marks masked columns with masking: true in column lineage and keeps identity passes as IDENTITY', async () => {
    const { manifest } = await buildSampleManifest();
    const complete = toOpenLineage(manifest)[1] as unknown as {
      outputs: {
        facets: {
          columnLineage: {
            fields: Record<
              string,
              {
                inputFields: {
                  name: string;
                  field: string;
                  transformations: { subtype: string; masking: boolean }[];
                }[];
              }
            >;
          };
        };
      }[];
    };
    const fields = complete.outputs[0]?.facets.columnLineage.fields ?? {};
    expect(fields.email_token?.inputFields).toMatchObject([
      {
        namespace: 'postgres://crm',
        name: 'public.customers',
        field: 'email',
        transformations: [{ type: 'DIRECT', subtype: 'TRANSFORMATION', masking: true }],
      },
    ]);
    expect(fields.country?.inputFields[0]?.transformations[0]).toMatchObject({
      subtype: 'IDENTITY',
      masking: false,
    });
  });

  it('reports a failed run as FAIL and keeps the same run id for both events', async () => {
    const { manifest } = await buildSampleManifest();
    const events = toOpenLineage({ ...manifest, run: { ...manifest.run, status: 'failed' } });
    expect(events[1]?.eventType).toBe('FAIL');
    const ids = events.map((e) => (e.run as { runId: string }).runId);
    expect(ids[0]).toBe(ids[1]);
  });

  it('derives a stable UUIDv7-shaped run id from the Sluice run id', () => {
    const a = openLineageRunId('20260101T000000Z-abcdef01', '2026-01-01T00:00:00.000Z');
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(openLineageRunId('20260101T000000Z-abcdef01', '2026-01-01T00:00:00.000Z')).toBe(a);
    expect(openLineageRunId('20260101T000000Z-abcdef02', '2026-01-01T00:00:00.000Z')).not.toBe(a);
  });
});

describe('postOpenLineage', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  async function server(statuses: number[]) {
    const bodies: unknown[] = [];
    const srv = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        const status = statuses.shift() ?? 200;
        if (status < 300)
          bodies.push({ path: req.url, event: JSON.parse(body), auth: req.headers.authorization });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    close = () => new Promise<void>((r) => srv.close(() => r()));
    return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/api/v1/lineage`, bodies };
  }

  it('posts every event in order and retries a 503', async () => {
    const { manifest } = await buildSampleManifest();
    const events = toOpenLineage(manifest);
    const { url, bodies } = await server([503, 200, 200]);
    const result = await postOpenLineage(url, events, { retries: 2, backoffMs: 1 });
    expect(result).toEqual({ posted: 2, attempts: 3 });
    expect(bodies.map((b) => (b as { event: { eventType: string } }).event.eventType)).toEqual([
      'START',
      'COMPLETE',
    ]);
    expect((bodies[0] as { path: string }).path).toBe('/api/v1/lineage');
  });

  it('sends URL credentials as a Basic header', async () => {
    const { url, bodies } = await server([200]);
    await postOpenLineage(url.replace('http://', 'http://user:pw@'), [{}]);
    expect((bodies[0] as { auth: string }).auth).toBe(`Basic ${Buffer.from('user:pw').toString('base64')}`);
  });

  it('fails at once on a 400 and names the endpoint without credentials', async () => {
    const { url } = await server([400]);
    const withUser = url.replace('http://', 'http://user:secret@');
    const error = await postOpenLineage(withUser, [{}], { retries: 3, backoffMs: 1 }).catch((e: Error) => e);
    expect(error).toMatchObject({ code: 'SINK_FAILED', retryable: false });
    expect((error as Error).message).toContain('HTTP 400');
    expect((error as Error).message).not.toContain('secret');
  });

  it('gives up after the retries when the endpoint is down', async () => {
    const { url } = await server([]);
    await close?.();
    close = undefined;
    const error = await postOpenLineage(url, [{}], { retries: 1, backoffMs: 1 }).catch((e: Error) => e);
    expect(error).toMatchObject({ code: 'SINK_FAILED', retryable: true, context: { attempts: 2 } });
  });
});
