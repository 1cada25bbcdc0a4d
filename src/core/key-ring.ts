/**
 * Keys for tokenization, referenced by key id. Key material never leaves the key ring: it is not
 * logged, not put in events and not written to manifests. A KMS integration implements this
 * interface.
 */
export interface KeyRing {
  /** Raw key bytes for `keyId`; throws `KEY_INVALID` naming the key id when it cannot be resolved. */
  get(keyId: string): Promise<Uint8Array>;
  /** Key ids the ring knows, without loading them. */
  ids(): string[];
}
