/**
 * An error that already knows its HTTP answer. Handlers throw it; the server turns it into an
 * `application/problem+json` body (RFC 9457) so every part answers bad requests the same way.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Extra members of the problem body, e.g. `{ field: 'metadata.passThreshold' }`. */
    readonly extra: Readonly<Record<string, unknown>> = {},
    /** Extra response headers, e.g. `{ Allow: 'POST' }` on a 405. */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}
