/**
 * What a synthesized route does to one request: the first matching Istio VirtualService rule (or
 * the most specific Gateway API HTTPRoute rule), then the weighted choice among its destinations.
 * Used by the demo to print what session affinity, cohorts and the strategies do, and by tests to
 * check the emitted routes by behaviour instead of by shape.
 *
 * Matching follows the APIs: Istio `StringMatch` exact / prefix / regex (RE2, whole value),
 * header names lowercase; all headers of one match entry must match, any entry of the list;
 * Gateway API: among rules with a matching entry, the one with the most header matches wins.
 * Only header matching is modelled (what the generator emits).
 */
type Obj = Record<string, unknown>;

export interface RouteRequest {
  /** Header names in lowercase; `cookie` holds the Cookie header. */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface RouteDecision {
  /** Istio subset (`stable` / `canary`) or Gateway API backend name. */
  readonly target: string;
  /** Name of the rule that matched (Istio), or its index. */
  readonly rule: string;
  /** `Set-Cookie` the route adds to the response, if any. */
  readonly setCookie?: string;
}

function stringMatches(m: Obj, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (typeof m['exact'] === 'string') return value === m['exact'];
  if (typeof m['prefix'] === 'string') return value.startsWith(m['prefix']);
  if (typeof m['regex'] === 'string') return new RegExp(`^(?:${m['regex']})$`).test(value);
  return false;
}

function istioEntryMatches(entry: Obj, req: RouteRequest): boolean {
  const headers = (entry['headers'] ?? {}) as Record<string, Obj>;
  return Object.entries(headers).every(([name, m]) =>
    stringMatches(m, req.headers?.[name.toLowerCase()]),
  );
}

function pick<T extends Obj>(
  routes: readonly T[],
  weightOf: (r: T) => number,
  random: () => number,
): T {
  const total = routes.reduce((s, r) => s + weightOf(r), 0);
  if (total <= 0) return routes[0]!;
  let x = random() * total;
  for (const r of routes) {
    x -= weightOf(r);
    if (x < 0 && weightOf(r) > 0) return r;
  }
  return [...routes].reverse().find((r) => weightOf(r) > 0)!;
}

/** Routes `req` through an Istio VirtualService object (as synthesized); `random` in [0, 1). */
export function routeIstio(
  vs: Obj,
  req: RouteRequest,
  random: () => number = Math.random,
): RouteDecision {
  const http = ((vs['spec'] as Obj | undefined)?.['http'] ?? []) as Obj[];
  for (const [i, rule] of http.entries()) {
    const match = rule['match'] as Obj[] | undefined;
    if (match && match.length && !match.some((e) => istioEntryMatches(e, req))) continue;
    const routes = (rule['route'] ?? []) as Obj[];
    const chosen =
      routes.length === 1 ? routes[0]! : pick(routes, (r) => Number(r['weight'] ?? 0), random);
    const dest = chosen['destination'] as Obj;
    const add = ((chosen['headers'] as Obj | undefined)?.['response'] as Obj | undefined)?.[
      'add'
    ] as Record<string, string> | undefined;
    return {
      target: String(dest['subset'] ?? dest['host']),
      rule: String(rule['name'] ?? i),
      ...(add?.['set-cookie'] ? { setCookie: add['set-cookie'] } : {}),
    };
  }
  throw new Error('no VirtualService rule matches the request');
}

function gatewayEntryScore(entry: Obj, req: RouteRequest): number {
  const headers = (entry['headers'] ?? []) as Obj[];
  const ok = headers.every((h) => {
    const v = req.headers?.[String(h['name']).toLowerCase()];
    if (v === undefined) return false;
    return h['type'] === 'RegularExpression'
      ? new RegExp(`^(?:${String(h['value'])})$`).test(v)
      : v === h['value'];
  });
  return ok ? headers.length : -1;
}

/** Routes `req` through a Gateway API HTTPRoute object (as synthesized); `random` in [0, 1). */
export function routeGateway(
  route: Obj,
  req: RouteRequest,
  random: () => number = Math.random,
): RouteDecision {
  const rules = ((route['spec'] as Obj | undefined)?.['rules'] ?? []) as Obj[];
  let best: { i: number; score: number } | undefined;
  rules.forEach((rule, i) => {
    const matches = (rule['matches'] as Obj[] | undefined) ?? [{}];
    const score = Math.max(...matches.map((m) => gatewayEntryScore(m, req)));
    if (score >= 0 && (!best || score > best.score)) best = { i, score };
  });
  if (!best) throw new Error('no HTTPRoute rule matches the request');
  const rule = rules[best.i]!;
  const refs = (rule['backendRefs'] ?? []) as Obj[];
  const chosen = refs.length === 1 ? refs[0]! : pick(refs, (r) => Number(r['weight'] ?? 1), random);
  return { target: String(chosen['name']), rule: String(rule['name'] ?? best.i) };
}
