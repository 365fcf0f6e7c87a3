/**
 * Response writers: JSON and problem+json. Bodies are serialised once and sent with an explicit
 * Content-Length so keep-alive connections never fall back to chunked encoding.
 */
import type { ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  sendText(res, status, JSON.stringify(body), 'application/json; charset=utf-8', headers);
}

export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  contentType = 'text/plain; charset=utf-8',
  headers: Readonly<Record<string, string>> = {},
): void {
  if (res.headersSent) return;
  const buf = Buffer.from(text, 'utf8');
  res.writeHead(status, { ...headers, 'Content-Type': contentType, 'Content-Length': buf.length });
  res.end(buf);
}

/**
 * RFC 9457 problem details. `detail` says what is wrong and how to fix it; `extra` carries
 * machine-readable members such as `field`.
 */
export function sendProblem(
  res: ServerResponse,
  status: number,
  detail: string,
  extra: Readonly<Record<string, unknown>> = {},
  headers: Readonly<Record<string, string>> = {},
): void {
  const body = { type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, detail, ...extra };
  sendText(res, status, JSON.stringify(body), 'application/problem+json; charset=utf-8', headers);
}
