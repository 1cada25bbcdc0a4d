import { SluiceError } from '../core/errors.js';
import { apiTokenId, generateApiToken, hashApiToken } from './api-token.js';
import { parseDurationS } from './duration.js';
import { appendTokenRecord, type TokenRecord } from './tokens-file.js';

export interface CreateTokenOptions {
  subject: string;
  groups?: string[];
  /** Lifetime: seconds, or a duration like `30d`. Default 30 days; at most 365 days. */
  ttl?: string | number;
  /** Who creates the token (recorded in the tokens file and audit). */
  createdBy: string;
  onBehalfOf?: string;
  agent?: { id: string; model?: string };
  /** Clock for tests. */
  now?: Date;
}

export interface CreatedToken {
  /** The token. It exists only here: the file keeps its hash. Show it once and drop it. */
  token: string;
  record: TokenRecord;
}

const DEFAULT_TTL_S = 30 * 86_400;
const MAX_TTL_S = 365 * 86_400;

/**
 * Creates an API token for `subject` and appends its SHA-256 (never the token) to `tokensFile`.
 *
 * @example
 * const { token } = await createToken('tokens.jsonl', { subject: 'etl-bot', groups: ['etl'], ttl: '7d', createdBy: 'alice' });
 */
export async function createToken(tokensFile: string, options: CreateTokenOptions): Promise<CreatedToken> {
  const ttlS =
    typeof options.ttl === 'string'
      ? parseDurationS(options.ttl, 'Token lifetime')
      : (options.ttl ?? DEFAULT_TTL_S);
  if (!Number.isInteger(ttlS) || ttlS <= 0 || ttlS > MAX_TTL_S) {
    throw new SluiceError(
      'USAGE',
      `Token lifetime of ${ttlS}s is out of range. Use between 1s and 365d; create a new token when it expires.`,
      { context: { ttl_s: ttlS } },
    );
  }
  if (options.subject.trim() === '') {
    throw new SluiceError('USAGE', 'A token needs a subject. Pass `--subject <name>`.');
  }
  const now = options.now ?? new Date();
  const token = generateApiToken();
  const hash = hashApiToken(token);
  const record: TokenRecord = {
    id: apiTokenId(hash),
    hash,
    subject: options.subject,
    groups: [...new Set(options.groups ?? [])],
    created_at: now.toISOString(),
    created_by: options.createdBy,
    expires_at: new Date(now.getTime() + ttlS * 1000).toISOString(),
    ...(options.onBehalfOf === undefined ? {} : { on_behalf_of: options.onBehalfOf }),
    ...(options.agent === undefined ? {} : { agent: options.agent }),
  };
  await appendTokenRecord(tokensFile, record);
  return { token, record };
}
