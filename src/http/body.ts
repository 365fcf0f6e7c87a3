/**
 * Request body reading with a size limit and content-type checks (octokit/webhooks.js order:
 * the caller checks the method, then `requireJson`, then reads and parses).
 */
import type { IncomingMessage } from 'node:http';
import { HttpError } from './errors.js';

/** Largest accepted body: Flagger payloads are a few hundred bytes. */
export const DEFAULT_BODY_LIMIT = 64 * 1024;

/** 415 unless the request declares a JSON media type (`application/json`, `application/*+json`). */
export function requireJson(req: IncomingMessage): void {
  const raw = req.headers['content-type'];
  if (raw === 'application/json') return; // what Flagger sends
  const type = (raw ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type)) return;
  throw new HttpError(
    415,
    `Content-Type must be application/json (got ${raw ? `'${raw}'` : 'none'}). Fix: send the body as JSON with 'Content-Type: application/json'.`,
    { allowed: ['application/json'] },
    { 'Accept-Post': 'application/json' },
  );
}

/**
 * Reads the whole body as UTF-8, answering 413 as soon as it passes `limit` (a declared
 * Content-Length over the limit is refused before any byte is read).
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
        // Keep draining so the client sees our 413 instead of a reset connection.
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
    req.on('error', (err) => {
      if (done) return;
      done = true;
      reject(err);
    });
  });
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, `Request body is larger than ${limit} bytes. Fix: send a smaller body.`, { limit });
}

/** Reads and parses a JSON body; 400 with the parser's message when it is not JSON. */
export async function readJson(req: IncomingMessage, limit = DEFAULT_BODY_LIMIT): Promise<unknown> {
  const text = await readBody(req, limit);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new HttpError(400, `Request body is not valid JSON: ${(err as Error).message}. Fix: send a JSON object.`, {
      field: '(body)',
    });
  }
}
