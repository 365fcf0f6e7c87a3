/**
 * Webhook step 1, parse: Content-Type (415), body size (413), JSON text (400, depth-limited) and
 * the Flagger payload's fields (400 naming the field).
 *
 * Flagger sends the same body every tick: what a body parses to is remembered (bounded: 1,000
 * bodies of at most 4 KiB), so a warm answer costs little more than bare node:http.
 */
import type { IncomingMessage } from 'node:http';
import { parseJson, readBody, requireJson } from '../../http/body.js';
import { parsePayload, type FlaggerPayload } from '../payload.js';

const REMEMBERED_BODIES = 1000;
const REMEMBERED_BODY_SIZE = 4096;

export type PayloadReader = (req: IncomingMessage) => Promise<FlaggerPayload>;

export function payloadReader(): PayloadReader {
  const known = new Map<string, FlaggerPayload>();
  const parseText = (raw: string): FlaggerPayload => {
    const hit = known.get(raw);
    if (hit) return hit;
    const payload = parsePayload(parseJson(raw));
    if (raw.length <= REMEMBERED_BODY_SIZE) {
      if (known.size >= REMEMBERED_BODIES) known.delete(known.keys().next().value as string);
      known.set(raw, payload);
    }
    return payload;
  };
  return async (req) => {
    requireJson(req);
    // A bad field throws a FieldError: the listener answers it as the 400 naming the field.
    return parseText(await readBody(req));
  };
}
