/**
 * Token checks shared by the servers. Tokens are compared in constant time with both sides
 * hashed first, so neither the content nor the length leaks through timing.
 */
import type { IncomingMessage } from 'node:http';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { HttpError } from './errors.js';

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Constant-time string equality. */
export function tokensEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

const BEARER = /^Bearer +([^\s]{1,4096})\s*$/i;

/**
 * Checks `Authorization: Bearer <token>`; a 401 with a `WWW-Authenticate` challenge otherwise.
 * With no token configured every call is refused (fail closed).
 */
export function checkBearer(
  req: IncomingMessage,
  token: string | undefined,
  realm = 'agent-canary',
): void {
  const challenge = { 'WWW-Authenticate': `Bearer realm="${realm}"` };
  if (!token) {
    throw new HttpError(
      'unauthorized',
      'Mutating canary routes are disabled: the server has no API token. Fix: start the server with --api-token or AGENT_CANARY_API_TOKEN.',
      {},
      challenge,
    );
  }
  const header = req.headers.authorization ?? '';
  const m = header.length <= 4200 ? BEARER.exec(header) : null;
  if (!m)
    throw new HttpError(
      'unauthorized',
      "Missing bearer token. Fix: send 'Authorization: Bearer <token>'.",
      {},
      challenge,
    );
  if (!tokensEqual(m[1]!, token)) {
    throw new HttpError(
      'unauthorized',
      'The bearer token is not valid.',
      {},
      {
        'WWW-Authenticate': `Bearer realm="${realm}", error="invalid_token"`,
      },
    );
  }
}

/**
 * The webhook token of one agent: `HMAC-SHA256(secret, "namespace/name")` in hex. The gate
 * holds the secret; the generator writes only this derived value into the agent's Canary, so a
 * token read from the GitOps repository authorizes that agent's calls and no other's.
 */
export function agentToken(secret: string, namespace: string, name: string): string {
  return createHmac('sha256', secret).update(`${namespace}/${name}`, 'utf8').digest('hex');
}
