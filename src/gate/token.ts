/**
 * The optional shared token. Flagger cannot send headers (fluxcd/flagger#1192), so the token
 * travels in the webhook `metadata`; it is compared in constant time (both sides hashed first,
 * so neither the content nor the length leaks through timing).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}
