/**
 * The demo's account of what the synthesized routes do to requests: cohorts, session affinity and
 * the strategies, told by routing sample requests through the VirtualServices and HTTPRoutes in
 * dist/ (route-request.ts) and by reading the Flagger Canaries' plans.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { routeGateway, routeIstio, type RouteRequest } from './route-request.js';

type Obj = Record<string, unknown>;

/** A fixed sequence in [0, 1): the same story on every run. */
function sequence(): () => number {
  let x = 1;
  return () => (x = (x * 9301 + 49297) % 233280) / 233280;
}

const SAMPLE_IDS = ['3f2b6c1e-8d4a-4f0e-9b7a-1c2d3e4f5a0a', '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7cff'];

function share(
  route: (r: RouteRequest, rand: () => number) => { target: string },
  req: RouteRequest,
): string {
  const rand = sequence();
  const counts = new Map<string, number>();
  for (let i = 0; i < 1000; i++) {
    const t = route(req, rand).target;
    counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  return [...counts]
    .sort()
    .map(([t, n]) => `${t} ${(n / 10).toFixed(1)}%`)
    .join(', ');
}

function cohortSamples(matches: Obj[]): RouteRequest[] {
  const out: RouteRequest[] = [];
  for (const m of matches) {
    const headers = (m['headers'] ?? {}) as Record<string, Obj> | Obj[];
    if (Array.isArray(headers)) {
      const h = headers[0];
      if (h && h['type'] === 'Exact')
        out.push({ headers: { [String(h['name']).toLowerCase()]: String(h['value']) } });
    } else {
      for (const [name, sm] of Object.entries(headers))
        if (typeof sm['exact'] === 'string') out.push({ headers: { [name]: sm['exact'] } });
    }
  }
  return out;
}

const show = (r: RouteRequest) =>
  r.headers && Object.keys(r.headers).length
    ? Object.entries(r.headers)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ')
    : 'no headers';

/** Lines describing each agent whose route or Canary uses a traffic feature. */
export async function trafficStory(dist: string): Promise<string[]> {
  const lines: string[] = [];
  for (const ns of (await readdir(dist, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()) {
    for (const agent of (await readdir(join(dist, ns), { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort()) {
      const dir = join(dist, ns, agent);
      const files = await readdir(dir);
      const load = async (f: string) => parseYaml(await readFile(join(dir, f), 'utf8')) as Obj;
      const id = `${ns}/${agent}`;
      if (files.includes(`VirtualService.${agent}.yaml`)) {
        const vs = await load(`VirtualService.${agent}.yaml`);
        const http = ((vs['spec'] as Obj)['http'] ?? []) as Obj[];
        if (http.length < 2) continue;
        lines.push(
          `${id} (Istio VirtualService, rules ${http.map((h) => h['name']).join(' > ')}):`,
        );
        const cohort = http.find((h) => h['name'] === 'cohort');
        for (const req of cohort ? cohortSamples(cohort['match'] as Obj[]) : [])
          lines.push(`  ${show(req)} -> ${routeIstio(vs, req, () => 0.99).target} (cohort)`);
        const session = http.find((h) => String(h['name']).startsWith('session-'));
        const header = session
          ? Object.keys(((session['match'] as Obj[])[0]!['headers'] ?? {}) as Obj)[0]
          : undefined;
        if (header && header !== 'cookie') {
          for (const idv of SAMPLE_IDS) {
            const req = { headers: { [header]: idv } };
            const seen = new Set([0.01, 0.5, 0.99].map((r) => routeIstio(vs, req, () => r).target));
            lines.push(`  ${header}: ${idv} -> ${[...seen].join(' / ')} on every request`);
          }
        }
        const first = routeIstio(vs, {}, () => 0.99);
        lines.push(
          `  no headers -> ${share((r, rand) => routeIstio(vs, r, rand), {})}${first.setCookie ? `, answered with Set-Cookie ${first.setCookie}` : ''}`,
        );
      } else if (files.includes(`HTTPRoute.${agent}.yaml`)) {
        const route = await load(`HTTPRoute.${agent}.yaml`);
        const rules = ((route['spec'] as Obj)['rules'] ?? []) as Obj[];
        const persistence = rules
          .map((r) => r['sessionPersistence'] as Obj | undefined)
          .find(Boolean);
        if (rules.length < 2 && !persistence) continue;
        lines.push(`${id} (Gateway API HTTPRoute):`);
        for (const r of rules)
          for (const req of cohortSamples((r['matches'] ?? []) as Obj[]))
            lines.push(`  ${show(req)} -> ${routeGateway(route, req).target} (cohort)`);
        lines.push(`  no headers -> ${share((r, rand) => routeGateway(route, r, rand), {})}`);
        if (persistence)
          lines.push(
            `  sessionPersistence ${String(persistence['type'])} '${String(persistence['sessionName'])}' for ${String(persistence['absoluteTimeout'])}: the gateway keeps the session on the backend it first chose`,
          );
      } else if (files.includes(`Canary.${agent}.yaml`)) {
        const a = (((await load(`Canary.${agent}.yaml`))['spec'] as Obj)['analysis'] ?? {}) as Obj;
        if (a['iterations'] !== undefined) {
          lines.push(
            a['match']
              ? `${id} (Flagger A/B): only requests matching ${JSON.stringify(a['match'])} reach the canary, for ${String(a['iterations'])} checks of ${String(a['interval'])}`
              : `${id} (Flagger blue-green): the canary gets no live traffic for ${String(a['iterations'])} checks of ${String(a['interval'])} (load test, gate), then all of it at once`,
          );
        } else if (a['sessionAffinity']) {
          lines.push(
            `${id} (Flagger canary): steps ${JSON.stringify(a['stepWeights'])}, sessions pinned by cookie ${JSON.stringify(a['sessionAffinity'])}`,
          );
        }
      }
    }
  }
  return lines;
}
