/**
 * A mask as the proxy applied it to one extraction, sent to the client in the `sluice-masks`
 * trailer (base64url JSON array) so the client's manifest records what was really applied.
 */
export interface RemoteMask {
  column: string;
  mask: string;
  key_id?: string;
  /** Mask parameters, key material removed. */
  params: Record<string, unknown>;
  origin: 'pipeline' | 'policy';
  rows: number;
  nulls: number;
}
