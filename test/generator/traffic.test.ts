/**
 * Traffic shaping by behaviour: requests are routed through the synthesized VirtualService /
 * HTTPRoute (src/demo/route-request.ts), and the Flagger fields are those Flagger documents.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { synthesizeAgent } from '../../src/synth/synthesize.js';
import { routeGateway, routeIstio } from '../../src/demo/route-request.js';
import { bucketRegex, canaryBuckets } from '../../constructs/_traffic.js';
import type { RolloutSettings } from '../../src/fleet/types.js';
import { byKindName, fleetAgent, gatewayRefs, policies } from './_fixtures.js';

const opts = { policies: policies() };
const synth = (weight: number, rollout: Partial<RolloutSettings>) =>
  byKindName(
    synthesizeAgent(
      fleetAgent({
        canary: { enabled: true, weight, modelId: 'gpt-4.1-mini', version: '4' },
        rollout,
      }),
      opts,
    ),
  );

/** A deterministic sequence in [0, 1), so weighted picks vary without Math.random. */
function seq(): () => number {
  let x = 7;
  return () => (x = (x * 9301 + 49297) % 233280) / 233280;
}

describe('session affinity, manual Istio, header', () => {
  const header = 'x-conversation-id';

  it('a conversation id always goes to one subset, whatever the weighted pick, and the share follows the weight', () => {
    const vs = synth(25, { sessionAffinity: { header } }).get('VirtualService/support-bot');
    const ids = Array.from({ length: 2000 }, () => randomUUID());
    let canary = 0;
    for (const id of ids) {
      const seen = new Set(
        [0.01, 0.5, 0.99].map((r) => routeIstio(vs, { headers: { [header]: id } }, () => r).target),
      );
      expect(seen.size).toBe(1);
      if (seen.has('canary')) canary++;
    }
    expect(canary / ids.length).toBeGreaterThan(0.2);
    expect(canary / ids.length).toBeLessThan(0.3);
  });

  it('raising the weight moves conversations only from stable to canary, never back', () => {
    const ids = Array.from({ length: 500 }, () => randomUUID().toUpperCase());
    let before = new Map<string, string>();
    for (const w of [0, 5, 10, 25, 50, 99, 100]) {
      const vs = synth(w, { sessionAffinity: { header } }).get('VirtualService/support-bot');
      const now = new Map(
        ids.map((id) => [id, routeIstio(vs, { headers: { [header]: id } }, () => 0.5).target]),
      );
      for (const [id, t] of before) if (t === 'canary') expect(now.get(id)).toBe('canary');
      before = now;
    }
    expect([...before.values()].every((t) => t === 'canary')).toBe(true);
  });

  it('the DestinationRule hashes the same header to one pod inside the subset', () => {
    const dr = synth(10, { sessionAffinity: { header } }).get('DestinationRule/support-bot');
    expect(dr.spec.trafficPolicy).toEqual({
      loadBalancer: { consistentHash: { httpHeaderName: header } },
    });
  });

  it('bucket regexes cover exactly round(256 w / 100) of the 256 endings', () => {
    for (const w of [1, 5, 10, 25, 33, 50, 75, 99]) {
      const re = new RegExp(`^(?:${bucketRegex(canaryBuckets(w))})$`);
      let n = 0;
      for (let i = 0; i < 256; i++) if (re.test(`id-${i.toString(16).padStart(2, '0')}`)) n++;
      expect(n).toBe(canaryBuckets(w));
    }
  });
});

describe('session affinity, manual Istio, cookie', () => {
  it('the weighted rule sets a track cookie, and a request carrying it stays on that track', () => {
    const vs = synth(50, { sessionAffinity: { cookie: 'agent-track', maxAge: 3600 } }).get(
      'VirtualService/support-bot',
    );
    const rand = seq();
    for (let i = 0; i < 50; i++) {
      const first = routeIstio(vs, {}, rand);
      expect(first.rule).toBe('primary');
      expect(first.setCookie).toMatch(
        /^agent-track=(stable|canary)-[0-9a-f]{12}; Max-Age=3600; Path=\/; HttpOnly$/,
      );
      const cookie = `other=1; ${first.setCookie!.split(';')[0]}`;
      for (const r of [0.01, 0.99])
        expect(routeIstio(vs, { headers: { cookie } }, () => r).target).toBe(first.target);
    }
  });
});

describe('cohorts first', () => {
  const cohorts = [
    { header: 'x-internal-user', values: ['true'] },
    { cookie: 'workspace', values: ['ws-acme', 'ws-globex'] },
  ];

  it('Istio: a cohort header goes to the canary at weight 0; everyone else to stable', () => {
    const vs = synth(0, { cohorts }).get('VirtualService/support-bot');
    expect(routeIstio(vs, { headers: { 'x-internal-user': 'true' } }, () => 0.99).target).toBe(
      'canary',
    );
    expect(routeIstio(vs, { headers: { cookie: 'a=b; workspace=ws-globex' } }).target).toBe(
      'canary',
    );
    expect(routeIstio(vs, { headers: { cookie: 'workspace=ws-other' } }, () => 0.99).target).toBe(
      'stable',
    );
    expect(routeIstio(vs, { headers: { 'x-internal-user': 'false' } }, () => 0.99).target).toBe(
      'stable',
    );
  });

  it('Istio: cohorts come before the percentage split', () => {
    const vs = synth(10, { cohorts }).get('VirtualService/support-bot');
    expect(vs.spec.http.map((r: { name: string }) => r.name)).toEqual(['cohort', 'primary']);
    expect(routeIstio(vs, { headers: { 'x-internal-user': 'true' } }, () => 0.01).target).toBe(
      'canary',
    );
    expect(routeIstio(vs, {}, () => 0.01).target).toBe('stable');
    expect(routeIstio(vs, {}, () => 0.95).target).toBe('canary');
  });

  it('Gateway API: the cohort rule outranks the weighted rule at weight 0', () => {
    const route = synth(0, { routing: 'gateway-api', gatewayRefs, cohorts }).get(
      'HTTPRoute/support-bot',
    );
    expect(routeGateway(route, { headers: { 'x-internal-user': 'true' } }, () => 0.99).target).toBe(
      'support-bot-canary',
    );
    expect(routeGateway(route, { headers: { cookie: 'workspace=ws-acme' } }).target).toBe(
      'support-bot-canary',
    );
    expect(routeGateway(route, {}, () => 0.99).target).toBe('support-bot');
  });
});

describe('session persistence, manual Gateway API', () => {
  it('the weighted rule carries sessionPersistence by header or cookie', () => {
    const h = synth(10, {
      routing: 'gateway-api',
      gatewayRefs,
      sessionAffinity: { header: 'x-conversation-id' },
    }).get('HTTPRoute/support-bot');
    expect(h.spec.rules.at(-1).sessionPersistence).toEqual({
      sessionName: 'x-conversation-id',
      type: 'Header',
      absoluteTimeout: '86400s',
    });
    const c = synth(10, {
      routing: 'gateway-api',
      gatewayRefs,
      sessionAffinity: { cookie: 'agent-track' },
    }).get('HTTPRoute/support-bot');
    expect(c.spec.rules.at(-1).sessionPersistence).toEqual({
      sessionName: 'agent-track',
      type: 'Cookie',
      absoluteTimeout: '86400s',
      cookieConfig: { lifetimeType: 'Permanent' },
    });
  });
});

describe('progressive strategies produce the Flagger fields Flagger documents', () => {
  const progressive = (rollout: Partial<RolloutSettings>) =>
    byKindName(
      synthesizeAgent(
        fleetAgent({
          canary: { enabled: true, weight: 0, modelId: 'gpt-4.1-mini', version: '4' },
          rollout: { mode: 'progressive', ...rollout },
        }),
        opts,
      ),
    ).get('Canary/support-bot');

  it('A/B: iterations + match, no weights, no step holds', () => {
    const c = progressive({
      strategy: 'ab',
      iterations: 12,
      cohorts: [
        { header: 'x-internal-user', values: ['true'] },
        { cookie: 'canary', values: ['always'] },
      ],
    });
    const a = c.spec.analysis;
    expect(a.iterations).toBe(12);
    expect(a.match).toEqual([
      { headers: { 'x-internal-user': { exact: 'true' } } },
      { headers: { cookie: { regex: '^(.*?;\\s*)?canary=(always)(;.*)?$' } } },
    ]);
    expect(a).not.toHaveProperty('stepWeights');
    expect(a).not.toHaveProperty('maxWeight');
    expect(a.webhooks.map((h: { name: string }) => h.name)).toEqual(['quality-gate', 'abort']);
  });

  it('blue-green: iterations without weights or match', () => {
    const a = progressive({ strategy: 'blue-green' }).spec.analysis;
    expect(a.iterations).toBe(10);
    for (const k of ['stepWeights', 'maxWeight', 'stepWeight', 'match'])
      expect(a).not.toHaveProperty(k);
  });

  it('canary with a session cookie: analysis.sessionAffinity', () => {
    const a = progressive({ sessionAffinity: { cookie: 'agent-track', maxAge: 7200 } }).spec
      .analysis;
    expect(a.sessionAffinity).toEqual({ cookieName: 'agent-track', maxAge: 7200 });
    expect(a.stepWeights).toEqual([5, 10, 25, 50]);
  });

  it('A/B routes the cohort through the same match in Flagger and in manual mode', () => {
    const cohorts = [{ header: 'x-workspace-id', values: ['ws-1', 'ws-2'] }];
    const a = progressive({ strategy: 'ab', cohorts }).spec.analysis;
    const vs = synth(0, { strategy: 'ab', cohorts }).get('VirtualService/support-bot');
    expect(vs.spec.http[0].match).toEqual(a.match);
  });
});

describe('manual strategies', () => {
  it('blue-green is a 0/100 switch', () => {
    for (const [w, target] of [
      [0, 'stable'],
      [100, 'canary'],
    ] as const) {
      const vs = synth(w, { strategy: 'blue-green' }).get('VirtualService/support-bot');
      const rand = seq();
      for (let i = 0; i < 20; i++) expect(routeIstio(vs, {}, rand).target).toBe(target);
    }
  });

  it('constructs refuse A/B with a weight and blue-green at 30 %', () => {
    expect(() =>
      synth(10, { strategy: 'ab', cohorts: [{ header: 'x-a', values: ['1'] }] }),
    ).toThrow(/strategy ab with canary weight 10 \(allowed: 0/);
    expect(() => synth(30, { strategy: 'blue-green' })).toThrow(
      /blue-green with canary weight 30 \(allowed: 0 or 100\)/,
    );
  });
});

describe('ingress binding', () => {
  it('the manual VirtualService binds the hosts to the named gateways and mesh', () => {
    const vs = synth(10, {
      hosts: ['support.example.com'],
      gateways: ['istio-system/public-gateway', 'mesh'],
    }).get('VirtualService/support-bot');
    expect(vs.spec.gateways).toEqual(['istio-system/public-gateway', 'mesh']);
    expect(vs.spec.hosts).toEqual(['support-bot.team-a.svc.cluster.local', 'support.example.com']);
  });

  it('progressive: the gateways go to Flagger service.gateways', () => {
    const c = byKindName(
      synthesizeAgent(
        fleetAgent({
          canary: { enabled: true, weight: 0, modelId: 'x', version: '4' },
          rollout: {
            mode: 'progressive',
            hosts: ['a.example.com'],
            gateways: ['istio-system/public-gateway'],
          },
        }),
        opts,
      ),
    ).get('Canary/support-bot');
    expect(c.spec.service.gateways).toEqual(['istio-system/public-gateway']);
  });
});
