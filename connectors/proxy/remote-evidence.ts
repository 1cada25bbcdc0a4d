import type { IncomingMessage } from 'node:http';
import { SluiceError } from '../../src/core/errors.js';
import type { EventOf } from '../../src/core/events.js';

type MaskFacts = Omit<EventOf<'mask_applied'>, 'type' | 'source' | 'run_id' | 'ts'>;

function decodeJson(raw: unknown, what: string): unknown {
  if (typeof raw !== 'string') return undefined;
  try {
    return JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch (cause) {
    throw new SluiceError(
      'SOURCE_FAILED',
      `The proxy sent a malformed \`${what}\`. Check that the proxy and this client run the same Sluice version.`,
      { cause },
    );
  }
}

/** The proxy's decision for an extraction, from its `sluice-decision` header. */
export function remoteDecision(
  res: IncomingMessage,
  source: string,
  url: string,
  requestId: string | undefined,
): Omit<EventOf<'remote_decision'>, 'run_id' | 'ts'> | undefined {
  const d = decodeJson(res.headers['sluice-decision'], 'sluice-decision') as
    | {
        verdict?: 'allow' | 'deny' | 'approval_required';
        policy_version?: string;
        policy_path?: string;
        matched_rule?: string;
        row_limit?: number;
        mandatory_masks?: string[];
      }
    | undefined;
  if (d === undefined) return undefined;
  return {
    type: 'remote_decision',
    source,
    proxy: new URL(url).origin,
    request_id: requestId ?? '',
    verdict: d.verdict ?? 'allow',
    policy_version: d.policy_version ?? 'none',
    ...(d.policy_path === undefined ? {} : { policy_path: d.policy_path }),
    ...(d.matched_rule === undefined ? {} : { matched_rule: d.matched_rule }),
    ...(d.row_limit === undefined ? {} : { row_limit: d.row_limit }),
    mandatory_masks: d.mandatory_masks ?? [],
  };
}

/** The masks the proxy applied, from its `sluice-masks` trailer (empty for an older proxy). */
export function remoteMasks(res: IncomingMessage): MaskFacts[] {
  const masks = decodeJson(res.trailers['sluice-masks'], 'sluice-masks');
  if (masks === undefined) return [];
  if (!Array.isArray(masks))
    throw new SluiceError('SOURCE_FAILED', 'The proxy sent a malformed `sluice-masks`.');
  return (masks as MaskFacts[]).map((m) => ({
    column: String(m.column),
    mask: String(m.mask),
    ...(m.key_id === undefined ? {} : { key_id: String(m.key_id) }),
    params: typeof m.params === 'object' && m.params !== null ? m.params : {},
    origin: m.origin === 'policy' ? 'policy' : 'pipeline',
    rows: Number(m.rows) || 0,
    nulls: Number(m.nulls) || 0,
  }));
}
