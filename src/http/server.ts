/**
 * The `node:http` server every listener of the project runs in, with the limits that keep one
 * client from holding the process: timeouts for headers, for a whole request (an unfinished
 * body is cut off) and for idle keep-alive connections, a bounded header size, and a 400 for
 * requests Node cannot parse. (No cap on requests per connection: Node answers 503 past it to
 * clients that keep sending, and a connection's requests are bounded by the timeouts anyway.) The listener (handler.ts)
 * answers everything else, so no input reaches the process's uncaught-exception path.
 */
import http from 'node:http';
import type { RequestListener } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from './log.js';

export interface ServerLimits {
  /** Time to receive the request headers. @default 20000 */
  readonly headersTimeoutMs?: number;
  /** Time to receive a whole request, body included. @default 30000 */
  readonly requestTimeoutMs?: number;
  /**
   * Idle time before a keep-alive connection is closed. Flagger's client reuses connections for
   * up to 90 s; 65 s is the usual value behind a load balancer. @default 65000
   */
  readonly keepAliveTimeoutMs?: number;
  /** Inactivity on a socket (no byte either way) before it is destroyed. @default 120000 */
  readonly socketTimeoutMs?: number;
  /** @default 16384 (Node's default) */
  readonly maxHeaderSize?: number;
}

export function createHttpServer(
  listener: RequestListener,
  logger: Logger,
  limits: ServerLimits = {},
): http.Server {
  const headersTimeout = limits.headersTimeoutMs ?? 20_000;
  const requestTimeout = limits.requestTimeoutMs ?? 30_000;
  const server = http.createServer(
    {
      keepAlive: true,
      maxHeaderSize: limits.maxHeaderSize ?? 16_384,
      headersTimeout,
      requestTimeout,
      // Node checks the header and request timeouts on this interval; keep it below them.
      connectionsCheckingInterval: Math.min(
        30_000,
        Math.max(250, Math.floor(Math.min(headersTimeout, requestTimeout) / 4)),
      ),
    },
    listener,
  );
  server.headersTimeout = headersTimeout;
  server.requestTimeout = requestTimeout;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs ?? 65_000;
  server.timeout = limits.socketTimeoutMs ?? 120_000;
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // A parse error or timeout: answer 400/408 when the socket can still take it, then close.
    logger.debug('client error', { code: err.code ?? 'unknown' });
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const status =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? '408 Request Timeout'
        : err.code === 'HPE_HEADER_OVERFLOW'
          ? '431 Request Header Fields Too Large'
          : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });
  return server;
}
