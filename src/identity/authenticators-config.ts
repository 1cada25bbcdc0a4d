import { z } from 'zod';
import { secretRefSchema } from '../config/secret-ref-schema.js';

/**
 * Asymmetric JWS algorithms an `oidc` authenticator may accept. HMAC (`HS*`) is deliberately absent:
 * with a JWKS of public keys it only enables key confusion, and `none` is never accepted.
 */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];

const claimPath = z
  .string()
  .min(1)
  .describe(
    'A claim name, or a dotted path into nested claims (`realm_access.roles`, `kubernetes.io.namespace`).',
  );

export const oidcAuthenticatorConfigSchema = z
  .strictObject({
    type: z
      .literal('oidc')
      .describe('Verify JWTs (OIDC ID/access tokens, Kubernetes service-account tokens).'),
    issuer: z
      .string()
      .min(1)
      .describe(
        'Expected `iss` claim, exactly, e.g. `https://accounts.example.com` or `https://kubernetes.default.svc.cluster.local`.',
      ),
    audience: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .describe('Expected `aud` claim: the token must name at least one of these audiences.'),
    jwks_file: z
      .string()
      .min(1)
      .optional()
      .describe("A JSON Web Key Set file with the issuer's public keys (relative to the config file)."),
    jwks_url: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe(
        "URL of the issuer's JSON Web Key Set; cached, and fetched again when a token names an unknown `kid`.",
      ),
    jwks_timeout_ms: z.int().positive().default(5000).describe('Time limit for fetching `jwks_url`.'),
    jwks_cooldown_ms: z
      .int()
      .nonnegative()
      .default(30_000)
      .describe('Minimum time between two fetches of `jwks_url` triggered by unknown `kid`s.'),
    algorithms: z
      .array(z.enum(ASYMMETRIC_ALGORITHMS))
      .min(1)
      .default(['RS256', 'ES256', 'EdDSA'])
      .describe('Accepted JWS algorithms. Only asymmetric ones: `none` and `HS*` are never accepted.'),
    clock_skew_s: z
      .int()
      .nonnegative()
      .max(600)
      .default(60)
      .describe('Tolerance for clock differences when checking `exp` and `nbf`, in seconds.'),
    subject_claim: claimPath.default('sub').describe('Claim that holds the subject.'),
    groups_claim: claimPath
      .default('groups')
      .describe('Claim that holds the groups: an array of strings, or one space-separated string.'),
    actor_claim: claimPath
      .default('act')
      .describe(
        "RFC 8693 actor claim. When present, its `sub` is the caller (e.g. an agent) and the token's subject is recorded as `on_behalf_of`.",
      ),
    on_behalf_of_claim: claimPath
      .default('on_behalf_of')
      .describe('Claim naming the human the caller acts for, when the token does not use an actor claim.'),
    agent_claims: z
      .strictObject({
        id: claimPath.default('agent.id').describe('Claim that holds the agent id.'),
        model: claimPath.default('agent.model').describe("Claim that holds the agent's model name."),
      })
      .default({ id: 'agent.id', model: 'agent.model' })
      .describe('Claims that describe an AI agent acting as the caller.'),
    kubernetes_groups: z
      .boolean()
      .default(false)
      .describe(
        'Add `system:serviceaccounts` and `system:serviceaccounts:<namespace>` to the groups of a `system:serviceaccount:<namespace>:<name>` subject, as Kubernetes does.',
      ),
  })
  .superRefine((value, ctx) => {
    if ((value.jwks_file === undefined) === (value.jwks_url === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['jwks_file'],
        message: "Give exactly one of `jwks_file` or `jwks_url`: where the issuer's public keys come from.",
      });
    }
    // Keys fetched over plain HTTP could be swapped by anyone on the path; allow it only on loopback.
    if (value.jwks_url !== undefined) {
      const url = new URL(value.jwks_url);
      if (url.protocol === 'http:' && !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) {
        ctx.addIssue({
          code: 'custom',
          path: ['jwks_url'],
          message:
            'Use an `https://` URL for `jwks_url`: keys fetched over plain HTTP can be replaced in transit.',
        });
      }
    }
  })
  .describe('Authenticate JWTs signed by an OIDC issuer, verified against its JWKS.');

export const tokenAuthenticatorConfigSchema = z
  .strictObject({
    type: z
      .literal('token')
      .describe('Opaque Sluice API tokens (`slc_…`), created with `pipeline token create`.'),
    tokens_file: z
      .string()
      .min(1)
      .describe(
        'JSON-lines file of token hashes (relative to the config file). Holds no token, only SHA-256 hashes.',
      ),
  })
  .describe('Authenticate opaque API tokens against their SHA-256 hashes.');

export const localAuthenticatorConfigSchema = z
  .strictObject({
    type: z
      .literal('local')
      .describe('The operating-system user, unverified. For demos and local work only.'),
    enabled: z
      .boolean()
      .describe(
        'Must be `true` for the local identity to be used; written out so it is a deliberate choice.',
      ),
    groups: z.array(z.string().min(1)).default([]).describe('Groups given to the local identity.'),
  })
  .describe('Trust the OS user when no credential is presented. Recorded as `verified: false`.');

export const authenticatorConfigSchema = z
  .discriminatedUnion('type', [
    oidcAuthenticatorConfigSchema,
    tokenAuthenticatorConfigSchema,
    localAuthenticatorConfigSchema,
  ])
  .describe('One way to establish who the caller is.');

/** The config file's `identity:` section. */
export const identityConfigSchema = z
  .strictObject({
    authenticators: z
      .array(authenticatorConfigSchema)
      .min(1)
      .describe(
        'Authenticators, tried by credential shape: JWTs go to `oidc`, `slc_` tokens to `token`; `local` only when no credential is given.',
      ),
    default_credential: secretRefSchema
      .optional()
      .describe('Credential used when neither `--token-file` nor `SLUICE_TOKEN` gives one.'),
  })
  .describe('How callers are authenticated. No identity, no data.');

export type OidcAuthenticatorConfig = z.infer<typeof oidcAuthenticatorConfigSchema>;
export type TokenAuthenticatorConfig = z.infer<typeof tokenAuthenticatorConfigSchema>;
export type LocalAuthenticatorConfig = z.infer<typeof localAuthenticatorConfigSchema>;
export type AuthenticatorConfig = z.infer<typeof authenticatorConfigSchema>;
export type IdentityConfig = z.infer<typeof identityConfigSchema>;
/** What a caller writes (defaults optional). */
export type IdentityConfigInput = z.input<typeof identityConfigSchema>;
