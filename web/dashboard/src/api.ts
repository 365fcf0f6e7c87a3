/**
 * The server's APIs as the page uses them. Reads need no token; the canary operations send the
 * bearer token kept in sessionStorage (this tab only, gone when it closes). A refusal is a
 * problem+json body, shown with its reason.
 */
const TOKEN_KEY = 'agent-canary.api-token';
const API = '../api/v1';

export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value: string | null): void {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export interface Problem {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly type?: string;
  readonly [k: string]: unknown;
}

export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(`${problem.status} ${problem.title}: ${problem.detail}`);
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (method !== 'GET') {
    headers['Content-Type'] = 'application/json';
    headers['X-Agent-Canary-Actor'] = 'dashboard';
    const t = token();
    if (t) headers['Authorization'] = `Bearer ${t}`;
  }
  const res = await fetch(`${API}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const p = (json ?? {}) as Partial<Problem>;
    throw new ProblemError({
      ...p,
      status: res.status,
      title: p.title ?? res.statusText,
      detail: p.detail ?? text.slice(0, 300),
    });
  }
  return json as T;
}

/** `team-a/bot` -> `team-a.bot` (the APIs' id form that needs no escaping). */
export function pathId(id: string): string {
  return encodeURIComponent(id.replace('/', '.'));
}

export interface AgentRow {
  id: string;
  namespace: string;
  name: string;
  mode: string | null;
  enabled: boolean;
  weight: number;
  stable_version: string | null;
  canary_version: string | null;
  policy: string | null;
  steps: number[];
  last_event: { sha: string; at: number; event: string; subject: string } | null;
  last_verdict: { sha: string; at: number; verdict: string } | null;
  time_in_step_ms: number | null;
  error?: string;
}

export interface Page<T> {
  data: T[];
  total: number;
  offset: number;
  limit: number;
  head: string | null;
}

export interface ScorePoint {
  t: number;
  value: number;
  run: string;
}

export interface Radar {
  agent_id: string;
  mode: string;
  enabled: boolean;
  weight: number;
  stable_version: string | null;
  canary_version: string | null;
  head: string | null;
  policy: {
    name: string;
    steps: { weight: number; hold: string }[];
    gate: Record<string, unknown>;
  };
  scores: {
    metric: string;
    direction: 'higher' | 'lower';
    threshold: number | null;
    canary: ScorePoint[];
    stable: ScorePoint[];
  }[];
  verdict: {
    passed: boolean;
    outcome: string;
    message: string;
    reasons: string[];
    notes?: string[];
  } | null;
  verdicts: { sha: string; at: number; subject: string; trailers: Record<string, string> }[];
  weights: { t: number; weight: number; sha: string | null }[];
  timeline: {
    sha: string;
    at: number;
    author: string;
    subject: string;
    event: string | null;
    trailers: Record<string, string>;
  }[];
  notes: string[];
}

export interface Scorecard {
  grade: string;
  reasons: { rule: string; cap: string; reason: string }[];
  validation: { valid: boolean; errors: string[]; warnings: string[] };
  gate: { pass_rate: number | null; judged: number; passed: number };
  steps: { weight: number; ms: number }[];
  promotions: number;
  rollbacks: number;
  window: { duration: string };
}

export interface OperationAnswer {
  changed?: boolean;
  detail?: string;
  commit: { sha: string; event?: string } | null;
}

export const api = {
  agents: (offset: number, limit: number, q: string) =>
    call<Page<AgentRow>>(
      'GET',
      `/dashboard/agents?offset=${offset}&limit=${limit}&q=${encodeURIComponent(q)}`,
    ),
  radar: (id: string) => call<{ data: Radar }>('GET', `/radar/${pathId(id)}`),
  scorecard: (id: string) =>
    call<{ data: Scorecard }>('GET', `/governance/scorecards/${pathId(id)}`),
  setWeight: (id: string, weight: number) =>
    call<OperationAnswer>('PATCH', `/agents/${pathId(id)}/canary`, { weight }),
  promote: (id: string) =>
    call<OperationAnswer>('POST', `/agents/${pathId(id)}/canary/promote`, {}),
  rollback: (id: string) =>
    call<OperationAnswer>('POST', `/agents/${pathId(id)}/canary/rollback`, {}),
};
