import type { ManifestMask } from '../manifest/manifest-schema.js';

/** A one-line, value-free description of a mask: `hmac (key demo, output=int64)`. */
export function describeMask(mask: Pick<ManifestMask, 'mask' | 'key_id' | 'params'>): string {
  const params = Object.entries(mask.params)
    .filter(([, v]) => v !== null && typeof v !== 'object')
    .map(([k, v]) => `${k}=${String(v)}`);
  const details = [...(mask.key_id ? [`key ${mask.key_id}`] : []), ...params];
  return details.length > 0 ? `${mask.mask} (${details.join(', ')})` : mask.mask;
}

/** The media type of an output format, for catalogs that want one. */
export function mediaTypeOf(format: string): string {
  const known: Record<string, string> = {
    parquet: 'application/x-parquet',
    csv: 'text/csv',
    jsonl: 'application/jsonl',
    json: 'application/json',
    arrow: 'application/vnd.apache.arrow.file',
    ipc: 'application/vnd.apache.arrow.file',
    duckdb: 'application/x-duckdb',
  };
  return known[format] ?? 'application/octet-stream';
}
