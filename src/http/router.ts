/**
 * The small HTTP layer shared by the quality gate and the GitOps API: both are served by one
 * `node:http` server (octokit/webhooks.js style: plain functions, no framework).
 *
 * A route is a method, a path pattern with `{param}` placeholders, and an async handler. The
 * router answers 404 for unknown paths and 405 (with `Allow`) for a known path with another method,
 * so each part only registers its own routes. A malformed percent-escape in a parameter is a
 * `bad-path` match (400), never an exception.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export type Params = Readonly<Record<string, string>>;
export type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  params: Params,
) => Promise<void> | void;

export interface Route {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Path pattern, e.g. `/api/v1/agents/{id}/canary`; a placeholder matches one path segment. */
  readonly path: string;
  readonly handler: Handler;
}

interface Compiled {
  readonly route: Route;
  readonly regex: RegExp;
  readonly names: readonly string[];
}

function compile(route: Route): Compiled {
  const names: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      const m = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(segment);
      if (m) {
        names.push(m[1]!);
        return '([^/]+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { route, regex: new RegExp(`^${source}/?$`), names };
}

export type Match =
  | { readonly kind: 'found'; readonly route: Route; readonly params: Params }
  | { readonly kind: 'method-not-allowed'; readonly allow: readonly string[] }
  | { readonly kind: 'bad-path'; readonly detail: string }
  | { readonly kind: 'not-found' };

/** Percent-decodes one path segment; undefined when the encoding is malformed (`%E0%A4%A`). */
function decodeSegment(raw: string): string | undefined {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

export class Router {
  private readonly compiled: Compiled[] = [];

  constructor(routes: readonly Route[] = []) {
    for (const r of routes) this.add(r);
  }

  add(route: Route): this {
    this.compiled.push(compile(route));
    return this;
  }

  /** Finds the route for a method and a URL path (query string already removed). */
  match(method: string, pathname: string): Match {
    const allow = new Set<string>();
    for (const c of this.compiled) {
      const m = c.regex.exec(pathname);
      if (!m) continue;
      if (c.route.method !== method) {
        allow.add(c.route.method);
        continue;
      }
      const params: Record<string, string> = {};
      for (let i = 0; i < c.names.length; i++) {
        const value = decodeSegment(m[i + 1]!);
        // Input decoding never throws out of the router: a bad escape is the client's 400.
        if (value === undefined) {
          return {
            kind: 'bad-path',
            detail: `The path segment '${m[i + 1]!.slice(0, 100)}' is not valid percent-encoding. Fix: encode the ${c.names[i]} as UTF-8 with %XX escapes.`,
          };
        }
        params[c.names[i]!] = value;
      }
      return { kind: 'found', route: c.route, params };
    }
    return allow.size > 0
      ? { kind: 'method-not-allowed', allow: [...allow].sort() }
      : { kind: 'not-found' };
  }
}
