/**
 * The canary HTTP API (Recif's routes, served by the gate server):
 *
 *   POST  /api/v1/agents/{id}/canary           start    body {"config": {...challenger fields..., "weight": 5}}
 *   GET   /api/v1/agents/{id}/canary           status
 *   PATCH /api/v1/agents/{id}/canary           weight   body {"weight": 25}
 *   POST  /api/v1/agents/{id}/canary/promote   promote
 *   POST  /api/v1/agents/{id}/canary/rollback  rollback
 *
 * `{id}` is `<namespace>.<name>` (or `<namespace>%2F<name>`), or a bare `<name>` when it exists in
 * one namespace only. Every mutating route needs `Authorization: Bearer <token>` (compared in
 * constant time); with no token configured they are refused (fail closed). Without a Git
 * repository every route answers 503. Errors are RFC 9457 `application/problem+json` with
 * `type`, `title`, `status`, `detail` and `instance`; successes are `application/json` in the
 * Recif shapes (`{"data": {...}}` and `{"status": "promoted", "agent_id": ...}`), plus a `commit`
 * member saying what was written.
 * `?branch=NAME` (or `"branch"` in the body) commits to a pull-request branch instead.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Route } from '../http/router.js';
import { GitOpsError, type GitOpsErrorKind } from './errors.js';
import { CHALLENGER_FIELDS, type CanaryConfig, type GitOps, type OperationOutcome } from './operations.js';
import { reopening } from './reopen.js';

export interface GitOpsApiOptions {
  /** The operations on the configured repository. Neither this nor `repo`: every route answers 503. */
  readonly gitops?: GitOps;
  /**
   * The repository as the user named it (`--repo PATH|URL`), opened in the background when the
   * routes are created (a URL is cloned) and used from the first request on; if it cannot be
   * opened, the routes answer 503 saying why, and a later request tries again (reopen.ts).
   */
  readonly repo?: string;
  /** Project directory for managed clones (`.agent-canary/clones`). @default process.cwd() */
  readonly projectDir?: string;
  /** Bearer token required on mutating routes; undefined: mutating routes answer 401. */
  readonly token?: string;
  /** Path prefix. @default '/api/v1' */
  readonly basePath?: string;
  /** Largest accepted request body. @default 65536 bytes */
  readonly bodyLimit?: number;
  /** Where unexpected errors are reported. @default console.error */
  readonly onError?: (err: unknown) => void;
  /** After the repository failed to open, try again on a request at most this often. @default 2_000 ms */
  readonly reopenAfterMs?: number;
}

const PROBLEM_BASE = 'https://agent-canary.dev/problems/';

const TITLES: Record<GitOpsErrorKind | 'unauthorized' | 'unsupported-media-type' | 'payload-too-large' | 'internal', string> = {
  'bad-request': 'Invalid Request',
  'not-found': 'Agent Not Found',
  ambiguous: 'Ambiguous Agent Id',
  conflict: 'Conflict With The Agent State',
  refused: 'Refused By Policy',
  unavailable: 'GitOps Repository Not Configured',
  git: 'Git Operation Failed',
  unauthorized: 'Unauthorized',
  'unsupported-media-type': 'Unsupported Media Type',
  'payload-too-large': 'Payload Too Large',
  internal: 'Internal Server Error',
};

class ApiProblem extends Error {
  constructor(
    readonly kind: keyof typeof TITLES,
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json; charset=utf-8', headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const buf = Buffer.from(JSON.stringify(body), 'utf8');
  res.writeHead(status, { ...headers, 'Content-Type': type, 'Content-Length': String(buf.length), 'Cache-Control': 'no-store' });
  res.end(buf);
}

function instanceOf(req: IncomingMessage): string {
  return (req.url ?? '/').split('?')[0]!;
}

function sendProblem(req: IncomingMessage, res: ServerResponse, p: ApiProblem): void {
  send(
    res,
    p.status,
    { type: PROBLEM_BASE + p.kind, title: TITLES[p.kind], status: p.status, detail: p.message, instance: instanceOf(req), ...p.extra },
    'application/problem+json; charset=utf-8',
    p.headers,
  );
}

function toProblem(err: unknown, onError: (err: unknown) => void): ApiProblem {
  if (err instanceof ApiProblem) return err;
  if (err instanceof GitOpsError) {
    const extra: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(err.details)) if (v !== undefined) extra[k] = v;
    return new ApiProblem(err.kind, err.status, err.message, extra);
  }
  onError(err);
  return new ApiProblem('internal', 500, 'The operation failed unexpectedly; nothing was committed. The server log has the cause.');
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Checks `Authorization: Bearer <token>` in constant time (hashes first, so lengths never leak). */
export function checkBearer(req: IncomingMessage, token: string | undefined): void {
  const challenge = { 'WWW-Authenticate': 'Bearer realm="agent-canary"' };
  if (!token) {
    throw new ApiProblem('unauthorized', 401, 'Mutating canary routes are disabled: the server has no API token. Fix: start the server with --api-token or AGENT_CANARY_API_TOKEN.', {}, challenge);
  }
  const header = req.headers.authorization ?? '';
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  if (!m) throw new ApiProblem('unauthorized', 401, "Missing bearer token. Fix: send 'Authorization: Bearer <token>'.", {}, challenge);
  if (!timingSafeEqual(digest(m[1]!), digest(token))) {
    throw new ApiProblem('unauthorized', 401, 'The bearer token is not valid.', {}, { 'WWW-Authenticate': 'Bearer realm="agent-canary", error="invalid_token"' });
  }
}

async function readJson(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new ApiProblem('payload-too-large', 413, `The request body is larger than ${limit} bytes.`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new ApiProblem('unsupported-media-type', 415, `Content-Type must be application/json (got '${type || 'none'}'). Fix: send the body as JSON with 'Content-Type: application/json'.`, {}, { 'Accept-Patch': 'application/json' });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new GitOpsError('bad-request', `The body is not valid JSON: ${(err as Error).message}.`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new GitOpsError('bad-request', 'The body must be a JSON object.', { allowed: '{"config": {...}} or {"weight": n}' });
  }
  return parsed as Record<string, unknown>;
}

const STRING_FIELDS = ['image', 'modelType', 'modelId', 'systemPrompt', 'version'] as const;
const LIST_FIELDS = ['skills', 'tools'] as const;
const CONFIG_KEYS = [...CHALLENGER_FIELDS, 'version', 'weight', 'challenger_version'];

function weightOf(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 99) {
    throw new GitOpsError('bad-request', `${field} must be an integer percentage from 1 to 99 (got ${JSON.stringify(value)}). Fix: send one of the policy's steps; use promote for 100.`, {
      field,
      value,
      allowed: 'integer 1..99 (a step of the policy)',
    });
  }
  return value;
}

/**
 * Reads the `config` object of a start request: the challenger fields of Recif's CanarySpec,
 * `weight`, `version`, and Recif's `challenger_version` (a number) as an alias of `version`.
 */
export function parseCanaryConfig(raw: unknown, field = 'config'): CanaryConfig {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new GitOpsError('bad-request', `${field} must be an object.`, { field });
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const f = `${field}.${k}`;
    if ((STRING_FIELDS as readonly string[]).includes(k)) {
      if (typeof v !== 'string' || v === '') throw new GitOpsError('bad-request', `${f} must be a non-empty string (got ${JSON.stringify(v)}).`, { field: f, value: v });
      out[k] = v;
    } else if ((LIST_FIELDS as readonly string[]).includes(k)) {
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === '')) {
        throw new GitOpsError('bad-request', `${f} must be a list of names (got ${JSON.stringify(v)}).`, { field: f, value: v });
      }
      out[k] = v;
    } else if (k === 'weight') {
      out[k] = weightOf(v, f);
    } else if (k === 'challenger_version') {
      if ((typeof v !== 'number' || !Number.isInteger(v) || v <= 0) && (typeof v !== 'string' || v === '')) {
        throw new GitOpsError('bad-request', `${f} must be a positive integer (got ${JSON.stringify(v)}).`, { field: f, value: v });
      }
      out['version'] = String(v);
    } else {
      throw new GitOpsError('bad-request', `${f} is not a canary field. Fix: use one of ${CONFIG_KEYS.join(', ')}.`, { field: f, value: v, allowed: CONFIG_KEYS.join(', ') });
    }
  }
  return out as CanaryConfig;
}

function commitOf(o: OperationOutcome): Record<string, unknown> | null {
  return o.commit ? { sha: o.commit, branch: o.branch, pushed: o.pushed, event: o.event, push_attempts: o.attempts } : null;
}

function branchOf(req: IncomingMessage, body: Record<string, unknown>): string | undefined {
  const q = new URL(req.url ?? '/', 'http://localhost').searchParams.get('branch');
  const b = body['branch'] ?? q ?? undefined;
  if (b === undefined || b === null) return undefined;
  if (typeof b !== 'string' || b === '') throw new GitOpsError('bad-request', 'branch must be a non-empty string.', { field: 'branch', value: b });
  return b;
}

function actorOf(req: IncomingMessage): string {
  const who = req.headers['x-agent-canary-actor'];
  const addr = req.socket.remoteAddress ?? 'unknown';
  return typeof who === 'string' && who !== '' ? `${who.slice(0, 100)} (api ${addr})` : `api ${addr}`;
}

/** Opens `spec` (path or URL) with the real engine; the server never creates the embedded default. */
async function openGitOps(spec: string, projectDir: string | undefined): Promise<GitOps> {
  const [{ resolveRepo }, { defaultEngine }, { GitOps: Ops }] = await Promise.all([import('./workspace.js'), import('./default-engine.js'), import('./operations.js')]);
  const repo = await resolveRepo(spec, { projectDir });
  return new Ops(repo, { engine: defaultEngine() });
}

export function gitopsRoutes(opts: GitOpsApiOptions): Route[] {
  const base = (opts.basePath ?? '/api/v1').replace(/\/$/, '');
  const onError = opts.onError ?? ((err: unknown) => console.error('agent-canary gitops api:', err));
  const limit = opts.bodyLimit ?? 64 * 1024;

  type Body = (ctx: { req: IncomingMessage; res: ServerResponse; gitops: GitOps; id: string; body: Record<string, unknown> }) => Promise<void>;

  const spec = opts.repo === undefined || opts.repo === '' ? undefined : opts.repo;
  // Opened at start-up, and again on a later request if that failed (reopen.ts).
  const opened: (() => Promise<GitOps>) | undefined =
    opts.gitops !== undefined
      ? () => Promise.resolve(opts.gitops!)
      : spec !== undefined
        ? reopening(() => openGitOps(spec, opts.projectDir), { retryAfterMs: opts.reopenAfterMs })
        : undefined;
  // Report a repository that cannot be opened at start-up, not only on the first request.
  opened?.().catch((err: unknown) => onError(err));

  const handle =
    (mutating: boolean, fn: Body) =>
    async (req: IncomingMessage, res: ServerResponse, params: Readonly<Record<string, string>>): Promise<void> => {
      try {
        if (mutating) checkBearer(req, opts.token);
        if (!opened) {
          throw new GitOpsError('unavailable', 'No GitOps repository is configured, so canaries cannot be read or changed. Fix: start the server with --repo PATH|URL (AGENT_CANARY_REPO).');
        }
        const gitops = await opened().catch((err: unknown) => {
          throw new GitOpsError('unavailable', `The GitOps repository '${spec}' cannot be opened: ${(err as Error).message}`);
        });
        const body = mutating ? await readJson(req, limit) : {};
        await fn({ req, res, gitops, id: params['id'] ?? '', body });
      } catch (err) {
        if (!res.headersSent) sendProblem(req, res, toProblem(err, onError));
      }
    };

  const path = `${base}/agents/{id}/canary`;
  return [
    {
      method: 'GET',
      path,
      handler: handle(false, async ({ res, gitops, id }) => {
        const ref = await gitops.resolve(id);
        send(res, 200, { data: await gitops.status(ref) });
      }),
    },
    {
      method: 'POST',
      path,
      handler: handle(true, async ({ req, res, gitops, id, body }) => {
        const ref = await gitops.resolve(id);
        for (const k of Object.keys(body)) {
          if (k !== 'config' && k !== 'branch') {
            throw new GitOpsError('bad-request', `unknown member '${k}' in the body. Fix: put challenger fields under "config".`, { field: k, allowed: 'config, branch' });
          }
        }
        const config = parseCanaryConfig(body['config']);
        const o = await gitops.start(ref, config, { branch: branchOf(req, body), actor: actorOf(req) });
        send(res, 200, { data: o.status, changed: o.changed, detail: o.detail, commit: commitOf(o) });
      }),
    },
    {
      method: 'PATCH',
      path,
      handler: handle(true, async ({ req, res, gitops, id, body }) => {
        const ref = await gitops.resolve(id);
        const nested = body['config'] as Record<string, unknown> | undefined;
        const raw = body['weight'] ?? (typeof nested === 'object' && nested !== null ? nested['weight'] : undefined);
        if (raw === undefined) throw new GitOpsError('bad-request', 'The body needs a weight: {"weight": 25}.', { field: 'weight', allowed: 'integer 1..99' });
        const o = await gitops.setWeight(ref, weightOf(raw, 'weight'), { branch: branchOf(req, body), actor: actorOf(req) });
        send(res, 200, { data: o.status, changed: o.changed, detail: o.detail, commit: commitOf(o) });
      }),
    },
    {
      method: 'POST',
      path: `${path}/promote`,
      handler: handle(true, async ({ req, res, gitops, id, body }) => {
        const ref = await gitops.resolve(id);
        const o = await gitops.promote(ref, { branch: branchOf(req, body), actor: actorOf(req) });
        send(res, 200, { status: 'promoted', agent_id: o.agentId, changed: o.changed, detail: o.detail, data: o.status, commit: commitOf(o) });
      }),
    },
    {
      method: 'POST',
      path: `${path}/rollback`,
      handler: handle(true, async ({ req, res, gitops, id, body }) => {
        const ref = await gitops.resolve(id);
        const o = await gitops.rollback(ref, { branch: branchOf(req, body), actor: actorOf(req) });
        send(res, 200, { status: 'rolled_back', agent_id: o.agentId, changed: o.changed, detail: o.detail, data: o.status, commit: commitOf(o) });
      }),
    },
  ];
}
