import { SluiceError } from '../core/errors.js';

/** Stable short codes in `context.reason` of an `AUTH_FAILED` error; they end up in audit events. */
export const AUTH_FAILURE_REASONS = [
  'missing_credential',
  'malformed',
  'no_authenticator',
  'alg_not_allowed',
  'bad_signature',
  'unknown_kid',
  'expired',
  'not_yet_valid',
  'wrong_issuer',
  'wrong_audience',
  'missing_claim',
  'invalid_claim',
  'jwks_unavailable',
  'unknown_token',
  'token_expired',
] as const;

export type AuthFailureReason = (typeof AUTH_FAILURE_REASONS)[number];

export interface AuthFailureContext {
  /** The authenticator type that rejected the credential, when one was reached. */
  authenticator?: string;
  /** The subject, only when it is known from verified data (a signed token or the tokens file). */
  subject?: string;
  retryable?: boolean;
  cause?: unknown;
}

/** An `AUTH_FAILED` error. The message must say what to do and must never contain the credential. */
export function authFailure(
  reason: AuthFailureReason,
  message: string,
  context: AuthFailureContext = {},
): SluiceError {
  return new SluiceError('AUTH_FAILED', message, {
    context: {
      reason,
      ...(context.authenticator === undefined ? {} : { authenticator: context.authenticator }),
      ...(context.subject === undefined ? {} : { subject: context.subject }),
    },
    ...(context.retryable === undefined ? {} : { retryable: context.retryable }),
    ...(context.cause === undefined ? {} : { cause: context.cause }),
  });
}

/** The reason code of an `AUTH_FAILED` error, or undefined for any other error. */
export function authFailureReason(err: unknown): AuthFailureReason | undefined {
  if (!(err instanceof SluiceError) || err.code !== 'AUTH_FAILED') return undefined;
  const reason = err.context['reason'];
  return typeof reason === 'string' && (AUTH_FAILURE_REASONS as readonly string[]).includes(reason)
    ? (reason as AuthFailureReason)
    : undefined;
}
