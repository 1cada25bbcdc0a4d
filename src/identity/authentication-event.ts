import type { ErrorCode } from '../core/error-codes.js';
import type { IdentityFacts } from '../core/events.js';
import type { AuthFailureReason } from './auth-failure.js';
import type { AuthMethod } from './identity.js';

/** Where the presented credential came from. Never the credential itself. */
export type CredentialSource = 'token_file' | 'env' | 'config_default' | 'none';

/**
 * One authentication attempt, for the audit log. Carries no credential: only the outcome, the
 * method, where the credential came from, and the subject when it is known from verified data.
 */
export interface AuthenticationEvent {
  outcome: 'success' | 'failure';
  /** The authenticator that decided, or `none` when no authenticator was reached. */
  method: AuthMethod | 'none';
  credential_source: CredentialSource;
  subject?: string;
  issuer?: string;
  /** The identity on success. */
  identity?: IdentityFacts;
  /** The `AUTH_FAILED` reason code on failure. */
  reason?: AuthFailureReason;
  /** The error code on failure (`AUTH_FAILED`, or e.g. `CONFIG_NOT_FOUND` for an unreadable token file). */
  error_code?: ErrorCode;
}

export type AuthenticationListener = (event: AuthenticationEvent) => void;
