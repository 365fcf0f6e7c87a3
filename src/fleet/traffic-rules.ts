/**
 * Rules for the traffic-shaping and capacity settings of `rollout` (strategy, iterations,
 * sessionAffinity, cohorts, gateways, autoscaling): the combinations the platform cannot express
 * are refused here, at the line of the offending field, instead of being emitted and ignored.
 *
 * What each platform can do (and so what is refused):
 * - Flagger pins sessions by a cookie only (`analysis.sessionAffinity.cookieName`), and only in
 *   the canary strategy; with `analysis.match` its router sends only matching requests through
 *   the weighted split and everyone else to the primary, so "cohorts first, then a percentage for
 *   everyone" does not exist in progressive mode (the A/B strategy is "cohorts instead").
 * - A/B means "only the cohorts", so a weight (manual) or steps (progressive) contradict it;
 *   blue-green is all or nothing, so only 0 and 100 are weights.
 * - Istio gateways bind a VirtualService; Gateway API routes attach through gatewayRefs.
 */
import type { FleetRule } from './rules.js';
import { COOKIE_VALUE } from './schema.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});

const cookieValue = new RegExp(COOKIE_VALUE);

/** `sessionAffinity` names exactly one key: a cookie or a header. */
export const sessionAffinityShape: FleetRule = ({ data, error }) => {
  const r = obj(data['rollout']);
  if (r['sessionAffinity'] === undefined) return;
  const sa = obj(r['sessionAffinity']);
  const keys = ['cookie', 'header'].filter((k) => sa[k] !== undefined);
  if (keys.length !== 1) {
    error(['rollout', 'sessionAffinity'], {
      problem: keys.length ? 'sessionAffinity names both a cookie and a header; a conversation is pinned by one of them' : 'sessionAffinity names neither a cookie nor a header',
      value: sa,
      allowed: '{cookie: <name>} or {header: <name>}, plus optional maxAge',
      fix: 'keep one of cookie (the route sets it) or header (the client sends a conversation id, e.g. x-conversation-id)',
    });
  }
};

/** Each cohort is one header or cookie, with exact values or a regex; cookies hold cookie-octets. */
export const cohortShape: FleetRule = ({ data, error }) => {
  const cohorts = obj(data['rollout'])['cohorts'];
  if (!Array.isArray(cohorts)) return;
  cohorts.forEach((c: unknown, i) => {
    const o = obj(c);
    const at = ['rollout', 'cohorts', i];
    const on = ['header', 'cookie'].filter((k) => o[k] !== undefined);
    if (on.length !== 1) {
      error(at, {
        problem: on.length ? 'a cohort matches one header or one cookie, not both' : 'a cohort names neither a header nor a cookie',
        value: o,
        allowed: '{header: <name>, values: [...]} or {cookie: <name>, values: [...]} (or regex instead of values)',
        fix: 'split it into two cohorts (the list is an OR), or add the missing header/cookie key',
      });
      return;
    }
    const by = ['values', 'regex'].filter((k) => o[k] !== undefined);
    if (by.length !== 1) {
      error(at, {
        problem: by.length ? 'a cohort has values or regex, not both' : 'a cohort needs values (exact matches) or regex',
        value: o,
        allowed: 'values: [v1, v2] (any one matches) or regex: <RE2 expression>',
        fix: 'keep one of values and regex',
      });
      return;
    }
    if (typeof o['regex'] === 'string') {
      try {
        new RegExp(o['regex']);
      } catch (e) {
        error([...at, 'regex'], {
          problem: `is not a regular expression (${(e as Error).message})`,
          value: o['regex'],
          allowed: 'an RE2 regular expression (Envoy and Gateway implementations use RE2)',
          fix: 'fix the expression, or list exact values instead',
        });
      }
    }
    if (o['cookie'] !== undefined && Array.isArray(o['values'])) {
      (o['values'] as unknown[]).forEach((v, j) => {
        if (typeof v === 'string' && !cookieValue.test(v)) {
          error([...at, 'values', j], {
            problem: 'is not a cookie value (no spaces, quotes, commas, semicolons or backslashes)',
            value: v,
            allowed: "letters, digits and !#$%&'()*+./:<=>?@^_`{|}~-",
            fix: 'use the value exactly as the cookie carries it',
          });
        }
      });
    }
  });
};

/**
 * strategy, iterations, weights, steps, cohorts and session affinity fit together and fit the
 * mode (see the file comment for what each platform can express).
 */
export const strategyFits: FleetRule = ({ data, error }) => {
  const r = obj(data['rollout']);
  const spec = obj(data['spec']);
  const mode = r['mode'] ?? 'manual';
  const strategy = (r['strategy'] ?? 'canary') as string;
  const canary = spec['canary'] ? obj(spec['canary']) : undefined;
  const enabled = canary?.['enabled'] === true;
  const weight = canary?.['weight'];
  const overrides = obj(r['overrides']);
  const sa = r['sessionAffinity'] !== undefined ? obj(r['sessionAffinity']) : undefined;
  const hasCohorts = Array.isArray(r['cohorts']);

  if (r['iterations'] !== undefined && (mode !== 'progressive' || strategy === 'canary')) {
    error(['rollout', 'iterations'], {
      problem:
        mode !== 'progressive'
          ? 'iterations counts Flagger analysis checks; in manual mode each step is a commit'
          : 'iterations belongs to the ab and blue-green strategies; the canary strategy runs the policy steps',
      value: r['iterations'],
      allowed: 'iterations only with mode: progressive and strategy: ab or blue-green',
      fix: mode !== 'progressive' ? 'remove iterations, or set mode: progressive' : 'remove iterations, or set strategy: ab or blue-green',
    });
  }
  if (strategy === 'ab') {
    if (!hasCohorts) {
      error(['rollout', 'strategy'], {
        problem: 'strategy ab sends only the cohorts to the challenger, but no cohorts are given',
        value: strategy,
        allowed: 'strategy: ab together with cohorts: [{header|cookie, values|regex}]',
        fix: 'add rollout.cohorts (e.g. [{header: x-internal-user, values: ["true"]}]), or use strategy: canary',
      });
    }
    if (mode === 'manual' && enabled && weight !== 0) {
      error(['spec', 'canary', 'weight'], {
        problem: 'A/B with weights: strategy ab routes only the cohorts to the challenger, so a percentage for everyone else contradicts it',
        value: weight,
        allowed: '0 with strategy: ab',
        fix: 'set weight: 0 (the cohorts still reach the challenger), or use strategy: canary for cohorts first and then a percentage',
      });
    }
  }
  if (strategy === 'blue-green' && mode === 'manual' && enabled && weight !== 0 && weight !== 100) {
    error(['spec', 'canary', 'weight'], {
      problem: 'blue-green switches all traffic at once; a partial weight is a canary',
      value: weight,
      allowed: '0 (green deployed and tested, no traffic) or 100 (switched)',
      fix: 'set weight: 0 or 100, or use strategy: canary',
    });
  }
  if (mode === 'progressive' && strategy !== 'canary' && overrides['steps'] !== undefined) {
    error(['rollout', 'overrides', 'steps'], {
      problem: `${strategy === 'ab' ? 'A/B' : 'blue-green'} with weights: Flagger's ${strategy} strategy runs iterations without traffic steps, so steps would be ignored`,
      value: overrides['steps'],
      allowed: 'no steps with strategy ab or blue-green (set rollout.iterations instead)',
      fix: 'remove overrides.steps and set rollout.iterations, or use strategy: canary',
    });
  }
  if (mode === 'progressive' && hasCohorts && strategy !== 'ab') {
    error(['rollout', 'cohorts'], {
      problem:
        strategy === 'blue-green'
          ? 'Flagger turns a blue-green analysis with match conditions into an A/B test'
          : "Flagger cannot route cohorts first and then a percentage of everyone: with analysis.match its router sends only matching requests through the weighted split and everyone else to the primary",
      value: r['cohorts'],
      allowed: 'cohorts with strategy: ab in progressive mode; cohorts first then a percentage in manual mode',
      fix: 'set strategy: ab (cohorts instead of a percentage), or mode: manual (cohorts first, then the weight)',
    });
  }
  if (sa && strategy !== 'canary') {
    error(['rollout', 'sessionAffinity'], {
      problem:
        strategy === 'ab'
          ? 'with strategy ab the cohort match already decides the track of every request; session affinity has nothing to pin'
          : 'with strategy blue-green every request goes to one track; session affinity has nothing to pin',
      value: sa,
      allowed: 'sessionAffinity only with strategy: canary',
      fix: 'remove sessionAffinity, or use strategy: canary',
    });
  }
  if (sa && mode === 'progressive' && sa['header'] !== undefined && strategy === 'canary') {
    error(['rollout', 'sessionAffinity', 'header'], {
      problem: "session affinity by header is not possible in progressive mode: Flagger pins sessions only by a cookie it sets (analysis.sessionAffinity.cookieName)",
      value: sa['header'],
      allowed: 'sessionAffinity: {cookie: <name>} in progressive mode; a header in manual mode',
      fix: 'use sessionAffinity.cookie (e.g. agent-track), or mode: manual to hash the header',
    });
  }
};

/** Istio gateways bind `hosts`; Gateway API attaches through gatewayRefs. */
export const gatewaysFit: FleetRule = ({ data, error, warn }) => {
  const r = obj(data['rollout']);
  const gateways = r['gateways'];
  if (!Array.isArray(gateways)) return;
  if ((r['routing'] ?? 'istio') === 'gateway-api') {
    error(['rollout', 'gateways'], {
      problem: 'gateways are Istio gateways for the VirtualService; a Gateway API HTTPRoute attaches through gatewayRefs',
      value: gateways,
      allowed: 'gateways only with routing: istio',
      fix: 'move them to rollout.gatewayRefs: [{name, namespace}], or set routing: istio',
    });
    return;
  }
  const external = gateways.filter((g) => g !== 'mesh');
  if (external.length && !Array.isArray(r['hosts'])) {
    error(['rollout', 'gateways'], {
      problem: 'a route bound to an ingress gateway needs the public hostnames it serves; the in-cluster host alone never arrives at a gateway',
      value: gateways,
      allowed: 'gateways together with rollout.hosts',
      fix: 'add rollout.hosts: [<public hostname>], e.g. support.example.com',
    });
  }
  if (external.length && !gateways.includes('mesh')) {
    warn(['rollout', 'gateways'], {
      problem: 'without mesh in gateways, in-mesh callers of the agent bypass the route (no weights, cohorts or session affinity inside the mesh)',
      value: gateways,
      allowed: 'add mesh to route in-mesh callers too',
      fix: 'append mesh to rollout.gateways unless only ingress traffic should be shaped',
    });
  }
};

/** autoscaling bounds are ordered, and an HPA and a fixed replica count do not both own the size. */
export const capacityFits: FleetRule = ({ data, error }) => {
  const r = obj(data['rollout']);
  const spec = obj(data['spec']);
  const mode = r['mode'] ?? 'manual';
  const a = r['autoscaling'] !== undefined ? obj(r['autoscaling']) : undefined;
  if (a && typeof a['minReplicas'] === 'number' && typeof a['maxReplicas'] === 'number' && a['maxReplicas'] < a['minReplicas']) {
    error(['rollout', 'autoscaling', 'maxReplicas'], {
      problem: `maxReplicas is below minReplicas (${a['minReplicas']})`,
      value: a['maxReplicas'],
      allowed: `an integer >= ${a['minReplicas']}`,
      fix: 'raise maxReplicas or lower minReplicas',
    });
  }
  if (a && spec['replicas'] !== undefined) {
    error(['spec', 'replicas'], {
      problem: 'replicas and rollout.autoscaling both set the size; the HorizontalPodAutoscaler owns the replica count',
      value: spec['replicas'],
      allowed: 'replicas or rollout.autoscaling, not both',
      fix: 'remove spec.replicas (set rollout.autoscaling.minReplicas instead), or remove rollout.autoscaling',
    });
  }
  if (!a && mode === 'progressive' && spec['replicas'] === 0) {
    error(['spec', 'replicas'], {
      problem: 'progressive mode sizes the workload with an HPA that Flagger copies to the primary, and an HPA cannot hold 0 replicas',
      value: 0,
      allowed: 'integer 1..10 in progressive mode',
      fix: 'set replicas to at least 1, or remove the agent',
    });
  }
};

export const trafficRules: readonly FleetRule[] = [sessionAffinityShape, cohortShape, strategyFits, gatewaysFit, capacityFits];
