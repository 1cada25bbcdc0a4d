import type { ColumnFacts, IdentityFacts, OutputFileFacts } from '../../core/events.js';

/**
 * Types of the legacy 0.1 manifest, kept only while the engine still calls `ManifestBuilder.build`.
 * Format 1.0 lives in `manifest-schema.ts`.
 */
export const MANIFEST_VERSION_V0 = '0.1';

export interface ManifestMask {
  mask: string;
  key_id?: string;
  params: Record<string, unknown>;
  origin: 'pipeline' | 'policy';
  rows: number;
  nulls: number;
}

export interface ManifestSource {
  name: string;
  connection: string;
  connection_type: string;
  query: string;
  snapshot?: Record<string, unknown>;
  columns: ColumnFacts[];
  rows: number;
  bytes: number;
  duration_ms: number;
  /** Masks applied per column of this source, inside the extraction. */
  masks: Record<string, ManifestMask[]>;
}

export interface ManifestOutput {
  name: string;
  format: string;
  path: string;
  rows: number;
  columns: ColumnFacts[];
  /** Paths relative to the manifest's directory. */
  files: OutputFileFacts[];
}

/** The usage manifest: what a dataset is, where it came from, who pulled it and how it was masked. */
export interface Manifest {
  manifest_version: string;
  run: {
    id: string;
    status: 'succeeded';
    started_at: string;
    finished_at: string;
    duration_ms: number;
    sluice_version: string;
    host: string;
  };
  pipeline: { name: string; path: string; sha256: string; purpose?: string; owner?: string };
  identity: IdentityFacts;
  sources: ManifestSource[];
  select?: { query: string; columns: ColumnFacts[] };
  outputs: ManifestOutput[];
}
