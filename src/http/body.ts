/**
 * The one request-body reader of the gate and the canary API: a size limit (413 as soon as the
 * body passes it), a JSON media type (415), and JSON that is valid and at most `maxDepth` levels
 * deep (400). The depth is checked on the text before parsing: V8 parses deep JSON fine, but
 * every recursive walk over the result afterwards (JSON.stringify in an error message, a schema
 * check) would overflow the stack and turn one request into a 500.
 */
import type { IncomingMessage } from 'node:http';
import { HttpError } from './errors.js';

/** Largest accepted body: Flagger payloads and API calls are a few hundred bytes. */
export const DEFAULT_BODY_LIMIT = 64 * 1024;

/** Deepest accepted JSON nesting; our bodies are at most 3 levels deep. */
export const DEFAULT_JSON_DEPTH = 32;

const JSON_TYPE = /^application\/(?:json|[a-z0-9.-]+\+json)$/;

/** 415 unless the request declares a JSON media type (`application/json`, `application/*+json`). */
export function requireJson(req: IncomingMessage): void {
  const raw = req.headers['content-type'];
  if (raw === 'application/json') return; // what Flagger sends
  const type = (raw ?? '').split(';')[0]!.trim().toLowerCase();
  if (type.length <= 100 && JSON_TYPE.test(type)) return;
  const shown = raw === undefined ? 'none' : `'${raw.slice(0, 100)}'`;
  throw new HttpError(
    'unsupported-media-type',
    `Content-Type must be application/json (got ${shown}). Fix: send the body as JSON with 'Content-Type: application/json'.`,
    { allowed: ['application/json'] },
    { 'Accept-Post': 'application/json', 'Accept-Patch': 'application/json' },
  );
}

/**
 * Reads the whole body as UTF-8, answering 413 as soon as it passes `limit` (a declared
 * Content-Length over the limit is refused before any byte is read). The connection is closed
 * after a 413 so a client cannot keep streaming into it.
 */
export function readBody(req: IncomingMessage, limit = DEFAULT_BODY_LIMIT): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(tooLarge(limit));
  }
  // Anonymous handlers on purpose: tsx/esbuild wraps named closures in __name() per call.
  return new Promise((resolve, reject) => {
    let first: Buffer | undefined;
    let rest: Buffer[] | undefined;
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        first = undefined;
        rest = undefined;
        reject(tooLarge(limit));
        return;
      }
      if (!first) first = chunk;
      else (rest ??= [first]).push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(rest ? Buffer.concat(rest).toString('utf8') : first ? first.toString('utf8') : '');
    });
    const abort = (err?: Error): void => {
      if (done) return;
      done = true;
      reject(
        err ??
          new HttpError('bad-request', 'The request body ended early. Fix: send the whole body.'),
      );
    };
    req.on('error', abort);
    req.on('aborted', () => abort());
  });
}

function tooLarge(limit: number): HttpError {
  return new HttpError(
    'payload-too-large',
    `Request body is larger than ${limit} bytes. Fix: send a smaller body.`,
    { limit },
    { Connection: 'close' },
  );
}

/** Nesting depth of JSON text, counting only brackets outside strings; stops past `max`. */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/** Parses JSON text: 400 when it is not JSON or nests deeper than `maxDepth`. */
export function parseJson(text: string, maxDepth = DEFAULT_JSON_DEPTH): unknown {
  if (jsonDepthExceeds(text, maxDepth)) {
    throw new HttpError(
      'bad-request',
      `Request body nests deeper than ${maxDepth} levels. Fix: send the documented JSON object.`,
      { field: '(body)', maxDepth },
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new HttpError(
      'bad-request',
      `Request body is not valid JSON: ${(err as Error).message.slice(0, 200)}. Fix: send a JSON object.`,
      { field: '(body)' },
    );
  }
}

export interface ReadJsonOptions {
  /** @default DEFAULT_BODY_LIMIT */
  readonly limit?: number;
  /** @default DEFAULT_JSON_DEPTH */
  readonly maxDepth?: number;
  /**
   * What an empty body reads as; with it, the media type is only required when a body is sent
   * (the canary API's promote and rollback take none). @default none: an empty body is a 400
   */
  readonly empty?: unknown;
}

/**
 * Reads a JSON body: 415 for another media type, 413 past the limit, 400 for text that is not
 * JSON or nests too deep.
 */
export async function readJson(req: IncomingMessage, opts: ReadJsonOptions = {}): Promise<unknown> {
  if (opts.empty === undefined) requireJson(req);
  const text = await readBody(req, opts.limit);
  if (opts.empty !== undefined) {
    if (text.trim() === '') return opts.empty;
    requireJson(req);
  }
  return parseJson(text, opts.maxDepth);
}
