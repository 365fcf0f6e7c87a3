/**
 * Request ids: reuse the caller's `X-Request-Id` when it is a sane token (so a trace can cross
 * the mesh), otherwise mint one. Ids are short counters prefixed by a per-process random part:
 * unique enough for logs and cheaper than a UUID on the hot path.
 */
import type { IncomingMessage } from 'node:http';
import { randomBytes } from 'node:crypto';

const prefix = randomBytes(4).toString('hex');
let counter = 0;

export function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  if (typeof given === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(given)) return given;
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return `${prefix}-${counter.toString(36)}`;
}
