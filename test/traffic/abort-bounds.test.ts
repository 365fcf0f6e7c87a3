/**
 * The release plan's p50 and 5xx-rate criteria and its abort bounds, against a real Prometheus:
 * the shared PromQL (src/traffic/queries.ts) yields the numbers it promises for Istio and app
 * telemetry, and the generated `abort` rollback hook, run by bash as flagger-loadtester runs it,
 * passes (= Flagger rolls back at once) exactly when an abort bound is breached.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { synthesizeAgent } from '../../src/synth/synthesize.js';
import { trafficQueries, renderQuery, type MetricSource } from '../../src/traffic/queries.js';
import { trafficBounds, breaches } from '../../src/traffic/bounds.js';
import {
  byKindName,
  fleetAgent,
  gatewayRefs,
  policies,
  policySpec,
} from '../generator/_fixtures.js';
import { startPrometheus, type GrowingSeries, type RunningPrometheus } from './prometheus.js';

const NS = 'team-a';
/** Per scrape: requests, of which 5xx, and in which latency bucket (ms) they all fall. */
const WORKLOADS = {
  good: { ok: 100, err: 0, le: 50 },
  erroring: { ok: 90, err: 10, le: 50 }, // 10 % 5xx, fast
  slow: { ok: 100, err: 0, le: 2500 }, // no 5xx, every request in (250, 2500] ms
} as const;
const BUCKETS = [50, 250, 2500];

function istioSeries(): GrowingSeries[] {
  const out: GrowingSeries[] = [];
  for (const [w, t] of Object.entries(WORKLOADS)) {
    const base = {
      reporter: 'destination',
      destination_workload_namespace: NS,
      destination_workload: w,
    };
    out.push({
      name: 'istio_requests_total',
      labels: { ...base, response_code: '200' },
      perScrape: t.ok,
    });
    out.push({
      name: 'istio_requests_total',
      labels: { ...base, response_code: '503' },
      perScrape: t.err,
    });
    for (const le of [...BUCKETS.map(String), '+Inf'])
      out.push({
        name: 'istio_request_duration_milliseconds_bucket',
        labels: { ...base, le },
        perScrape: le === '+Inf' || Number(le) >= t.le ? t.ok + t.err : 0,
      });
  }
  return out;
}

function appSeries(): GrowingSeries[] {
  const out: GrowingSeries[] = [];
  for (const [w, t] of Object.entries(WORKLOADS)) {
    // Flagger's pod names: <target>-<replicaset hash>-<pod hash>
    const base = { namespace: NS, pod: `${w}-7d9f8c-x2x4z` };
    out.push({
      name: 'http_request_duration_seconds_count',
      labels: { ...base, status: '200' },
      perScrape: t.ok,
    });
    out.push({
      name: 'http_request_duration_seconds_count',
      labels: { ...base, status: '500' },
      perScrape: t.err,
    });
    for (const le of [...BUCKETS.map((b) => String(b / 1000)), '+Inf'])
      out.push({
        name: 'http_request_duration_seconds_bucket',
        labels: { ...base, le },
        perScrape: le === '+Inf' || Number(le) * 1000 >= t.le ? t.ok + t.err : 0,
      });
  }
  return out;
}

let prom: RunningPrometheus;
beforeAll(async () => {
  prom = await startPrometheus([...istioSeries(), ...appSeries()]);
}, 90_000);
afterAll(async () => {
  await prom?.stop();
});

const value = async (source: MetricSource, check: Parameters<typeof pick>[0], target: string) => {
  const q = renderQuery(pick(check, source), { target, namespace: NS, interval: '1m' });
  const v = await prom.query(q);
  expect(v).toHaveLength(1); // Flagger needs exactly one value
  return v[0]!;
};
function pick(
  check: 'error-rate' | 'request-success-rate' | 'request-duration' | 'request-duration-p50',
  source: MetricSource,
): string {
  return trafficQueries({ source })[check];
}

describe.each(['istio', 'app'] as const)('the shared PromQL over %s telemetry', (source) => {
  it('5xx rate in percent, 0 (not empty) without errors', async () => {
    expect(await value(source, 'error-rate', 'erroring')).toBeCloseTo(10, 6);
    expect(await value(source, 'request-success-rate', 'erroring')).toBeCloseTo(90, 6);
    expect(await value(source, 'error-rate', 'good')).toBe(0);
  });

  it('p50 and p99 in milliseconds', async () => {
    // every request in (0, 50]: the median interpolates to 25 ms
    expect(await value(source, 'request-duration-p50', 'good')).toBeCloseTo(25, 6);
    // every request in (250, 2500]: median 1375 ms, p99 2477.5 ms
    expect(await value(source, 'request-duration-p50', 'slow')).toBeCloseTo(1375, 6);
    expect(await value(source, 'request-duration', 'slow')).toBeCloseTo(2477.5, 6);
  });

  it('the policy bounds judge those values as the autopilot would', async () => {
    const { gates, abort } = trafficBounds({
      metrics: { successRate: { min: 99 }, errorRate: { max: 0.1 }, latencyP50: { max: 100 } },
      abort: { errorRate: { max: 5 }, latencyP99: { max: 2000 } },
    });
    const breached = async (target: string, bounds: typeof gates) => {
      const out: string[] = [];
      for (const b of bounds)
        if (breaches(b, await value(source, b.check, target))) out.push(b.field);
      return out;
    };
    expect(await breached('good', gates)).toEqual([]);
    expect(await breached('erroring', gates)).toEqual([
      'metrics.successRate.min',
      'metrics.errorRate.max',
    ]);
    expect(await breached('slow', gates)).toEqual(['metrics.latencyP50.max']);
    expect(await breached('erroring', abort)).toEqual(['abort.errorRate.max']);
    expect(await breached('slow', abort)).toEqual(['abort.latencyP99.max']);
  });
});

/** The Canary of agent `name`, its policy reading the test's Prometheus. */
function canaryOf(name: string, routing: 'istio' | 'gateway-api', prometheus: string) {
  const spec = { ...policySpec, prometheus };
  const agent = fleetAgent({
    name,
    namespace: NS,
    rollout: {
      mode: 'progressive',
      routing,
      ...(routing === 'gateway-api' ? { gatewayRefs } : {}),
    },
  });
  return byKindName(synthesizeAgent(agent, { policies: policies(spec) })).get(`Canary/${name}`);
}

function abortHook(canary: any): {
  type: string;
  url: string;
  metadata: { type: string; cmd: string };
} {
  const hooks = canary.spec.analysis.webhooks.filter(
    (h: { type: string }) => h.type === 'rollback',
  );
  expect(hooks).toHaveLength(1);
  return hooks[0];
}

/** Runs the hook's command the way flagger-loadtester's `bash` task does: `bash -c cmd`. */
function runHook(cmd: string): number {
  const r = spawnSync('bash', ['-c', cmd], { encoding: 'utf8', timeout: 30_000 });
  return r.status ?? -1;
}

describe.each(['istio', 'gateway-api'] as const)('the abort rollback hook (%s)', (routing) => {
  it('is a rollback hook run by the load tester as a bash task', () => {
    const hook = abortHook(canaryOf('good', routing, prom.url));
    expect(hook).toMatchObject({
      name: 'abort',
      type: 'rollback',
      url: 'http://flagger-loadtester.flagger-system/',
      metadata: { type: 'bash' },
    });
  });

  it('passes (Flagger rolls back at once) on a 5xx or latency breach, fails within bounds', () => {
    expect(runHook(abortHook(canaryOf('erroring', routing, prom.url)).metadata.cmd)).toBe(0);
    expect(runHook(abortHook(canaryOf('slow', routing, prom.url)).metadata.cmd)).toBe(0);
    expect(runHook(abortHook(canaryOf('good', routing, prom.url)).metadata.cmd)).not.toBe(0);
  });

  it('never rolls back for lack of data or of Prometheus', () => {
    // an agent Prometheus has no series for: empty result, no rollback
    expect(runHook(abortHook(canaryOf('quiet', routing, prom.url)).metadata.cmd)).not.toBe(0);
    // nobody listens on port 9 of the loopback
    expect(
      runHook(abortHook(canaryOf('erroring', routing, 'http://127.0.0.1:9')).metadata.cmd),
    ).not.toBe(0);
  });
});
