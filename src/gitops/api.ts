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
 * repository every route answers 503; a repository that could not be opened is opened again on
 * a later request. Errors are RFC 9457 `application/problem+json` (src/http/problem.ts) with
 * `type`, `title`, `status`, `detail` and `instance`; successes are `application/json` in the
 * Recif shapes (`{"data": {...}}` and `{"status": "promoted", "agent_id": ...}`), plus a `commit`
 * member saying what was written. Bodies, tokens and problems go through the shared HTTP layer
 * (src/http): size and depth limits, media type, constant-time bearer check.
 * `?branch=NAME` (or `"branch"` in the body) commits to a pull-request branch instead.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Route } from '../http/router.js';
import { HttpError } from '../http/errors.js';
import { readJson } from '../http/body.js';
import { checkBearer } from '../http/auth.js';
import { sendJson } from '../http/respond.js';
import { GitOpsError } from './errors.js';
import {
  CHALLENGER_FIELDS,
  GitOps,
  type CanaryConfig,
  type OperationOutcome,
} from './operations.js';
import { resolveRepo } from './workspace.js';

/** The operations on the served repository, opened on first use (see `gitopsAccess`). */
export type GitOpsAccess = () => Promise<GitOps>;

export interface GitOpsApiOptions {
  /**
   * The repository as another set of routes already opened it (`gitopsAccess`), so that the
   * canary API and the dashboard share one repository (one clone, one lease). Wins over `gitops`
   * and `repo`.
   */
  readonly access?: GitOpsAccess;
  /** The operations on the configured repository. Neither this nor `repo`: every route answers 503. */
  readonly gitops?: GitOps;
  /**
   * The repository as the user named it (`--repo PATH|URL`), opened in the background when the
   * routes are created (a URL is cloned) and used from the first request on; if it cannot be
   * opened, the routes answer 503 and a later request opens it again.
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
  /** Least time between two attempts to open a repository that failed to open. @default 5000 */
  readonly reopenAfterMs?: number;
  /** Opens the repository (tests). @default resolveRepo + the default engine */
  readonly open?: (spec: string) => Promise<GitOps>;
  /** @default Date.now */
  readonly now?: () => number;
  /** Where a repository that cannot be opened is reported. @default console.error */
  readonly onError?: (err: unknown) => void;
}

/** Successes are about one request's outcome: never cached. */
const NO_STORE = { 'Cache-Control': 'no-store' };

function send(res: ServerResponse, body: unknown): void {
  sendJson(res, 200, body, NO_STORE);
}

const UNAVAILABLE_RETRY_S = 5;

/**
 * The repository, opened once and shared; when opening fails, a request at least
 * `reopenAfterMs` later tries again (a remote that was down at start-up is picked up without a
 * restart). The 503 never names the repository: its URL may carry credentials.
 */
function repositoryOpener(spec: string, opts: GitOpsApiOptions): () => Promise<GitOps> {
  const open =
    opts.open ??
    (async (s: string) => {
      // Loaded only when a repository is served: the engine pulls in the generator (cdk8s),
      // which a gate without --repo never needs at start-up.
      const [repo, { defaultEngine }] = await Promise.all([
        resolveRepo(s, { projectDir: opts.projectDir }),
        import('./default-engine.js'),
      ]);
      return new GitOps(repo, { engine: defaultEngine({ repoDir: repo.dir }) });
    });
  const onError =
    opts.onError ?? ((err: unknown) => console.error('agent-canary gitops api:', err));
  const now = opts.now ?? Date.now;
  const every = opts.reopenAfterMs ?? 5000;
  let current: Promise<GitOps> | undefined;
  let failedAt = -Infinity;
  const attempt = (): Promise<GitOps> => {
    const p = open(spec);
    current = p;
    p.catch((err: unknown) => {
      failedAt = now();
      if (current === p) current = undefined;
      onError(err);
    });
    return p;
  };
  // Report a repository that cannot be opened at start-up, not only on the first request.
  attempt();
  return async () => {
    if (!current && now() - failedAt >= every) attempt();
    if (!current) throw unavailableRepo();
    try {
      return await current;
    } catch {
      throw unavailableRepo();
    }
  };
}

function unavailableRepo(): HttpError {
  return new HttpError(
    'unavailable',
    'The GitOps repository cannot be opened (the server log has the cause); it is opened again on a later request. Fix: check that the repository is reachable and the credentials are valid.',
    {},
    { 'Retry-After': String(UNAVAILABLE_RETRY_S) },
  );
}

function asObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new GitOpsError('bad-request', 'The body must be a JSON object.', {
      allowed: '{"config": {...}} or {"weight": n}',
    });
  }
  return body as Record<string, unknown>;
}

const STRING_FIELDS = ['image', 'modelType', 'modelId', 'systemPrompt', 'version'] as const;
const LIST_FIELDS = ['skills', 'tools'] as const;
const CONFIG_KEYS = [...CHALLENGER_FIELDS, 'version', 'weight', 'challenger_version'];

function weightOf(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 99) {
    throw new GitOpsError(
      'bad-request',
      `${field} must be an integer percentage from 1 to 99 (got ${JSON.stringify(value)}). Fix: send one of the policy's steps; use promote for 100.`,
      {
        field,
        value,
        allowed: 'integer 1..99 (a step of the policy)',
      },
    );
  }
  return value;
}

/**
 * Reads the `config` object of a start request: the challenger fields of Recif's CanarySpec,
 * `weight`, `version`, and Recif's `challenger_version` (a number) as an alias of `version`.
 */
export function parseCanaryConfig(raw: unknown, field = 'config'): CanaryConfig {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new GitOpsError('bad-request', `${field} must be an object.`, { field });
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const f = `${field}.${k}`;
    if ((STRING_FIELDS as readonly string[]).includes(k)) {
      if (typeof v !== 'string' || v === '')
        throw new GitOpsError(
          'bad-request',
          `${f} must be a non-empty string (got ${JSON.stringify(v)}).`,
          { field: f, value: v },
        );
      out[k] = v;
    } else if ((LIST_FIELDS as readonly string[]).includes(k)) {
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === '')) {
        throw new GitOpsError(
          'bad-request',
          `${f} must be a list of names (got ${JSON.stringify(v)}).`,
          { field: f, value: v },
        );
      }
      out[k] = v;
    } else if (k === 'weight') {
      out[k] = weightOf(v, f);
    } else if (k === 'challenger_version') {
      if (
        (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) &&
        (typeof v !== 'string' || v === '')
      ) {
        throw new GitOpsError(
          'bad-request',
          `${f} must be a positive integer (got ${JSON.stringify(v)}).`,
          { field: f, value: v },
        );
      }
      out['version'] = String(v);
    } else {
      throw new GitOpsError(
        'bad-request',
        `${f} is not a canary field. Fix: use one of ${CONFIG_KEYS.join(', ')}.`,
        { field: f, value: v, allowed: CONFIG_KEYS.join(', ') },
      );
    }
  }
  return out as CanaryConfig;
}

function commitOf(o: OperationOutcome): Record<string, unknown> | null {
  return o.commit
    ? {
        sha: o.commit,
        branch: o.branch,
        pushed: o.pushed,
        event: o.event,
        push_attempts: o.attempts,
      }
    : null;
}

function branchOf(req: IncomingMessage, body: Record<string, unknown>): string | undefined {
  const url = req.url ?? '/';
  const at = url.indexOf('?');
  // URLSearchParams never throws: a malformed escape stays literal and the name check refuses it.
  const q = at === -1 ? null : new URLSearchParams(url.slice(at + 1)).get('branch');
  const b = body['branch'] ?? q ?? undefined;
  if (b === undefined || b === null) return undefined;
  if (typeof b !== 'string' || b === '' || b.length > 200) {
    throw new GitOpsError(
      'bad-request',
      'branch must be a non-empty string of at most 200 characters.',
      { field: 'branch', value: typeof b === 'string' ? b.slice(0, 200) : b },
    );
  }
  return b;
}

function actorOf(req: IncomingMessage): string {
  const who = req.headers['x-agent-canary-actor'];
  const addr = req.socket.remoteAddress ?? 'unknown';
  return typeof who === 'string' && who !== ''
    ? `${who.slice(0, 100)} (api ${addr})`
    : `api ${addr}`;
}

/**
 * The repository of `opts` (`gitops`, else `repo` opened in the background), or undefined when
 * none is configured. Call it once per server and hand the result to every set of routes
 * (`access`): a URL is cloned once.
 */
export function gitopsAccess(opts: GitOpsApiOptions): GitOpsAccess | undefined {
  if (opts.access) return opts.access;
  const given = opts.gitops;
  if (given !== undefined) return () => Promise.resolve(given);
  const spec = opts.repo === undefined || opts.repo === '' ? undefined : opts.repo;
  return spec !== undefined ? repositoryOpener(spec, opts) : undefined;
}

/** The answer of every route that needs a repository when none is configured (503). */
export function noRepository(): GitOpsError {
  return new GitOpsError(
    'unavailable',
    'No GitOps repository is configured, so canaries cannot be read or changed. Fix: start the server with --repo PATH|URL (AGENT_CANARY_REPO).',
  );
}

export function gitopsRoutes(opts: GitOpsApiOptions): Route[] {
  const base = (opts.basePath ?? '/api/v1').replace(/\/$/, '');
  const limit = opts.bodyLimit ?? 64 * 1024;

  type Body = (ctx: {
    req: IncomingMessage;
    res: ServerResponse;
    gitops: GitOps;
    id: string;
    body: Record<string, unknown>;
  }) => Promise<void>;

  const repository = opts.access ?? gitopsAccess(opts);

  const handle =
    (mutating: boolean, fn: Body) =>
    async (
      req: IncomingMessage,
      res: ServerResponse,
      params: Readonly<Record<string, string>>,
    ): Promise<void> => {
      // Errors go to the listener, which answers each kind's problem (src/http/handler.ts).
      if (mutating) checkBearer(req, opts.token);
      if (!repository) throw noRepository();
      const gitops = await repository();
      // promote and rollback take no body; an empty one reads as {}.
      const body = mutating ? asObject(await readJson(req, { limit, empty: {} })) : {};
      await fn({ req, res, gitops, id: params['id'] ?? '', body });
    };

  const path = `${base}/agents/{id}/canary`;
  return [
    {
      method: 'GET',
      path,
      handler: handle(false, async ({ res, gitops, id }) => {
        const ref = await gitops.resolve(id);
        send(res, { data: await gitops.status(ref) });
      }),
    },
    {
      method: 'POST',
      path,
      handler: handle(true, async ({ req, res, gitops, id, body }) => {
        const ref = await gitops.resolve(id);
        for (const k of Object.keys(body)) {
          if (k !== 'config' && k !== 'branch') {
            throw new GitOpsError(
              'bad-request',
              `unknown member '${k}' in the body. Fix: put challenger fields under "config".`,
              { field: k, allowed: 'config, branch' },
            );
          }
        }
        const config = parseCanaryConfig(body['config']);
        const o = await gitops.start(ref, config, {
          branch: branchOf(req, body),
          actor: actorOf(req),
        });
        send(res, { data: o.status, changed: o.changed, detail: o.detail, commit: commitOf(o) });
      }),
    },
    {
      method: 'PATCH',
      path,
      handler: handle(true, async ({ req, res, gitops, id, body }) => {
        const ref = await gitops.resolve(id);
        const nested = body['config'] as Record<string, unknown> | undefined;
        const raw =
          body['weight'] ??
          (typeof nested === 'object' && nested !== null ? nested['weight'] : undefined);
        if (raw === undefined)
          throw new GitOpsError('bad-request', 'The body needs a weight: {"weight": 25}.', {
            field: 'weight',
            allowed: 'integer 1..99',
          });
        const o = await gitops.setWeight(ref, weightOf(raw, 'weight'), {
          branch: branchOf(req, body),
          actor: actorOf(req),
        });
        send(res, { data: o.status, changed: o.changed, detail: o.detail, commit: commitOf(o) });
      }),
    },
    {
      method: 'POST',
      path: `${path}/promote`,
      handler: handle(true, async ({ req, res, gitops, id, body }) => {
        const ref = await gitops.resolve(id);
        const o = await gitops.promote(ref, { branch: branchOf(req, body), actor: actorOf(req) });
        send(res, {
          status: 'promoted',
          agent_id: o.agentId,
          changed: o.changed,
          detail: o.detail,
          data: o.status,
          commit: commitOf(o),
        });
      }),
    },
    {
      method: 'POST',
      path: `${path}/rollback`,
      handler: handle(true, async ({ req, res, gitops, id, body }) => {
        const ref = await gitops.resolve(id);
        const o = await gitops.rollback(ref, { branch: branchOf(req, body), actor: actorOf(req) });
        send(res, {
          status: 'rolled_back',
          agent_id: o.agentId,
          changed: o.changed,
          detail: o.detail,
          data: o.status,
          commit: commitOf(o),
        });
      }),
    },
  ];
}
