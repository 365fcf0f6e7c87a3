/**
 * The dashboard's routes, served by the same server as the canary API (`agent-canary gate`):
 *
 *   GET /api/v1/radar/{agent}                       the AI Radar (radar.ts)
 *   GET /api/v1/governance/scorecards/{agent}       the scorecard (scorecard.ts), ?window=30d
 *   GET /api/v1/dashboard/agents                    the fleet overview, ?offset=0&limit=50&q=text
 *   GET /dashboard/                                 the page (assets/dashboard/index.html)
 *   GET /dashboard/{file}                           its script and styles
 *
 * `{agent}` takes the canary API's ids (`namespace.name`, `namespace%2Fname`, or a bare name that
 * exists in one namespace). Successes are `{"data": ...}` (Recif's envelope); errors are the
 * shared problem+json: 404 unknown agent, 503 without a repository or when MLflow cannot be read
 * (with the reason). Reads only: the page's buttons call the canary API, which checks the token.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Route } from '../http/router.js';
import { sendJson } from '../http/respond.js';
import { GitOpsError } from '../gitops/errors.js';
import { formatAgentId } from '../gitops/agent-id.js';
import { noRepository, type GitOpsAccess } from '../gitops/api.js';
import type { GitOps } from '../gitops/operations.js';
import type { QualityEngine } from '../gate/engine.js';
import { FleetState } from './fleet-state.js';
import { radar } from './radar.js';
import { scorecard, Validator } from './scorecard.js';
import { parseWindow } from './window.js';
import { Assets } from './assets.js';

export interface DashboardOptions {
  /** The repository the canary API serves (`gitopsAccess`); undefined: 503. */
  readonly access?: GitOpsAccess;
  /** The gate's engine (and through it, its MLflow source). */
  readonly engine: QualityEngine;
  /** @default '/api/v1' */
  readonly basePath?: string;
  /** Where the page lives. @default '/dashboard' */
  readonly pagePath?: string;
  /** Folder of the built page. @default the package's assets/dashboard */
  readonly assetsDir?: string;
  /** @default Date.now */
  readonly now?: () => number;
}

/** Largest page of the overview. */
export const MAX_PAGE = 1000;
/** @default page size of the overview */
export const DEFAULT_PAGE = 50;

const NO_STORE = { 'Cache-Control': 'no-store' };

function query(req: IncomingMessage): URLSearchParams {
  const url = req.url ?? '/';
  const at = url.indexOf('?');
  return new URLSearchParams(at === -1 ? '' : url.slice(at + 1));
}

function intParam(q: URLSearchParams, key: string, fallback: number, max: number): number {
  const raw = q.get(key);
  if (raw === null || raw === '') return fallback;
  if (!/^\d{1,7}$/.test(raw) || Number(raw) > max)
    throw new GitOpsError(
      'bad-request',
      `${key} must be an integer from 0 to ${max} (got ${JSON.stringify(raw.slice(0, 20))}).`,
      { field: key, value: raw.slice(0, 20), allowed: `0..${max}` },
    );
  return Number(raw);
}

export function dashboardRoutes(opts: DashboardOptions): Route[] {
  const base = (opts.basePath ?? '/api/v1').replace(/\/$/, '');
  const page = (opts.pagePath ?? '/dashboard').replace(/\/$/, '');
  const now = opts.now ?? Date.now;
  const assets = new Assets(opts.assetsDir);
  const validator = new Validator();
  const states = new WeakMap<GitOps, FleetState>();

  const fleet = async (): Promise<{ gitops: GitOps; state: FleetState }> => {
    if (!opts.access) throw noRepository();
    const gitops = await opts.access();
    let state = states.get(gitops);
    if (!state) states.set(gitops, (state = new FleetState(gitops)));
    return { gitops, state };
  };

  const agentRoute =
    (
      fn: (ctx: {
        req: IncomingMessage;
        gitops: GitOps;
        state: FleetState;
        id: string;
      }) => Promise<unknown>,
    ) =>
    async (
      req: IncomingMessage,
      res: ServerResponse,
      params: Readonly<Record<string, string>>,
    ): Promise<void> => {
      const { gitops, state } = await fleet();
      const id = formatAgentId(await gitops.resolve(params['agent'] ?? ''));
      sendJson(res, 200, { data: await fn({ req, gitops, state, id }) }, NO_STORE);
    };

  return [
    {
      method: 'GET',
      path: `${base}/radar/{agent}`,
      handler: agentRoute(async ({ state, id }) =>
        radar({ snapshot: await state.current(), id, engine: opts.engine, now: now() }),
      ),
    },
    {
      method: 'GET',
      path: `${base}/governance/scorecards/{agent}`,
      handler: agentRoute(async ({ req, gitops, state, id }) => {
        const window = parseWindow(query(req).get('window'));
        return scorecard({
          snapshot: await state.current(),
          id,
          engine: opts.engine,
          repoDir: gitops.repo.dir,
          distDir: gitops.distDir,
          window,
          now: now(),
          validator,
        });
      }),
    },
    {
      method: 'GET',
      path: `${base}/dashboard/agents`,
      handler: async (req, res) => {
        const q = query(req);
        const offset = intParam(q, 'offset', 0, 10_000_000);
        const limit = intParam(q, 'limit', DEFAULT_PAGE, MAX_PAGE);
        const text = (q.get('q') ?? '').trim().toLowerCase().slice(0, 200);
        const { state } = await fleet();
        const snap = await state.current();
        const rows = text ? snap.rows.filter((r) => r.id.includes(text)) : snap.rows;
        const t = now();
        const data = rows.slice(offset, offset + limit).map((r) => ({
          ...r,
          time_in_step_ms: r.step_since === null ? null : Math.max(0, t - r.step_since),
        }));
        sendJson(
          res,
          200,
          { data, total: rows.length, offset, limit, head: snap.head ?? null },
          NO_STORE,
        );
      },
    },
    {
      method: 'GET',
      path: page,
      handler: (req, res) => {
        // `/dashboard` -> `/dashboard/`, so the page's relative asset URLs resolve inside it.
        if (!(req.url ?? '').split('?')[0]!.endsWith('/')) {
          res.writeHead(308, { Location: `${page}/` });
          res.end();
          return;
        }
        assets.send(req, res, 'index.html');
      },
    },
    {
      method: 'GET',
      path: `${page}/{file}`,
      handler: (req, res, params) => assets.send(req, res, params['file'] ?? ''),
    },
  ];
}
