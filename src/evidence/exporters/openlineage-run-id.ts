import { createHash } from 'node:crypto';

/**
 * OpenLineage wants a UUID run id; Sluice run ids are `<time>-<random>`. This derives a UUIDv7-
 * shaped id: the 48-bit start time (ms) followed by bits of SHA-256(run id), so the same run
 * always exports the same id and ids sort by start time.
 */
export function openLineageRunId(runId: string, startedAt: string): string {
  const ms = BigInt(Math.max(0, Date.parse(startedAt) || 0));
  const hash = createHash('sha256').update(runId).digest();
  const bytes = Buffer.alloc(16);
  for (let i = 0; i < 6; i++) bytes[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  hash.copy(bytes, 6, 0, 10);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
