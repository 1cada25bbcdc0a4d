import type { ErrorCode } from '../../core/error-codes.js';

/**
 * The HTTP status for each error code. The JSON body carries the same code as the CLI, so clients
 * map both ways; the status lets proxies and load balancers tell retryable failures (503) apart.
 */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  AUTH_FAILED: 401,
  GUARD_DENIED: 403,
  POLICY_DENIED: 403,
  PERMISSION_DENIED: 403,
  APPROVAL_REQUIRED: 428,
  CONFIG_INVALID: 400,
  USAGE: 400,
  SCHEMA_MISMATCH: 400,
  QUERY_INVALID: 400,
  UNKNOWN_COMPONENT: 400,
  // The proxy's own files and secrets: the server is misconfigured, not the request.
  CONFIG_NOT_FOUND: 500,
  SECRET_MISSING: 500,
  KEY_INVALID: 500,
  PLUGIN_FAILED: 500,
  SOURCE_UNAVAILABLE: 503,
  TIMEOUT: 503,
  CANCELLED: 503,
  DISK_FULL: 503,
  SOURCE_FAILED: 500,
  SINK_FAILED: 500,
  INTEGRITY_FAILED: 500,
  INTERNAL: 500,
};
