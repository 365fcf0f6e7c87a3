/**
 * An error that already knows its HTTP answer. Handlers throw it; the listener renders it as an
 * `application/problem+json` body (RFC 9457, see problem.ts) so every server of the project
 * answers bad requests the same way.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Extra members of the problem body, e.g. `{ field: 'metadata.passThreshold' }`. */
    readonly extra: Readonly<Record<string, unknown>> = {},
    /** Extra response headers, e.g. `{ Allow: 'POST' }` on a 405. */
    readonly headers: Readonly<Record<string, string>> = {},
    /**
     * The problem kind (last part of the problem `type` URI), e.g. `refused`.
     * @default derived from the status (problem.ts)
     */
    readonly kind?: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}
