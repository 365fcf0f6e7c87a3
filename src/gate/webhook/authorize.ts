/**
 * Webhook step 2, authorize: the token in `metadata.token` (Flagger cannot send headers,
 * fluxcd/flagger#1192). Two schemes, either or both configured (docs/gate.md "Webhook
 * authentication"):
 *
 * - per-agent tokens: the gate holds a secret and accepts, for the payload's `namespace/name`,
 *   only `HMAC-SHA256(secret, "namespace/name")`. The generator writes that derived token into
 *   the agent's Canary, so a token read from Git authorizes that one agent's calls and no other.
 * - a shared token (the older scheme, kept so existing Canaries keep working): one value for
 *   every agent, so anyone who can read the GitOps repository can call for any agent.
 *
 * Tokens are compared in constant time. With neither configured there is no check.
 */
import { HttpError } from '../../http/errors.js';
import { agentToken, tokensEqual } from '../../http/auth.js';
import type { FlaggerPayload } from '../payload.js';

export interface WebhookAuth {
  /** Secret the per-agent tokens are derived from. */
  readonly secret?: string;
  /** Shared token accepted for every agent. */
  readonly token?: string;
}

export type AuthResult =
  { readonly ok: true } | { readonly ok: false; readonly reason: 'missing' | 'mismatch' };

export function checkToken(payload: FlaggerPayload, auth: WebhookAuth): AuthResult {
  if (auth.secret === undefined && auth.token === undefined) return { ok: true };
  const given = payload.metadata.token;
  if (given === undefined || given === '') return { ok: false, reason: 'missing' };
  // Both comparisons always run, so the timing does not tell which scheme a token failed.
  const perAgent =
    auth.secret !== undefined &&
    tokensEqual(given, agentToken(auth.secret, payload.namespace, payload.name));
  const shared = auth.token !== undefined && tokensEqual(given, auth.token);
  return perAgent || shared ? { ok: true } : { ok: false, reason: 'mismatch' };
}

/** The 401 for a failed check; never echoes the token. */
export function unauthorized(
  payload: FlaggerPayload,
  reason: 'missing' | 'mismatch',
  auth: WebhookAuth,
): HttpError {
  const fix =
    auth.secret !== undefined
      ? `generate the Canary with the gate's secret in AGENT_CANARY_GATE_SECRET (it writes the token of ${payload.namespace}/${payload.name} into the hook metadata)`
      : 'set the gate token in the policy (it is written into the hook metadata) to the value the gate was started with';
  const what =
    reason === 'missing' ? 'is missing' : `is not valid for ${payload.namespace}/${payload.name}`;
  return new HttpError('unauthorized', `metadata.token ${what}. Fix: ${fix}.`, {
    field: 'metadata.token',
  });
}
