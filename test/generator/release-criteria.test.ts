/**
 * Item 7 of the release plan in the generator: p50 and 5xx-rate gates as Flagger metrics, abort
 * bounds as metrics of their own plus the `abort` rollback hook, and the load-test command from
 * the policy (or agent-canary.yaml), for Istio and Gateway API; bad input gets a located error.
 */
import { describe, expect, it } from 'vitest';
import { synthesizeAgent } from '../../src/synth/synthesize.js';
import { DEFAULT_POLICY_SPEC } from '../../src/policy/defaults.js';
import { DEFAULT_CLUSTER_CONFIG } from '../../src/config/defaults.js';
import { parseClusterConfig } from '../../src/config/load.js';
import { parseFleetFile, FleetError } from '../../src/fleet/load.js';
import type { PolicySpec } from '../../src/policy/types.js';
import { byKindName, fleetAgent, gatewayRefs, policies } from './_fixtures.js';
import { edit, GOOD } from '../fleet/helpers.js';

type Routing = 'istio' | 'gateway-api';
function objects(routing: Routing, spec: PolicySpec = DEFAULT_POLICY_SPEC, extra = {}) {
  const agent = fleetAgent({
    rollout: {
      mode: 'progressive',
      routing,
      loadTest: true,
      ...(routing === 'gateway-api' ? { gatewayRefs } : {}),
    },
  });
  return byKindName(synthesizeAgent(agent, { policies: policies(spec), ...extra }));
}
const metricsOf = (o: Map<string, any>) =>
  new Map<string, { ref?: string; range: object }>(
    o
      .get('Canary/support-bot')
      .spec.analysis.metrics.map((m: any) => [
        m.name,
        { ref: m.templateRef?.name, range: m.thresholdRange },
      ]),
  );
const hook = (o: Map<string, any>, name: string) =>
  o.get('Canary/support-bot').spec.analysis.webhooks.find((h: any) => h.name === name);

describe.each(['istio', 'gateway-api'] as const)('%s', (routing) => {
  const o = objects(routing);

  it('gates p50 latency and the 5xx rate with MetricTemplates (no provider has them built in)', () => {
    const m = metricsOf(o);
    expect(m.get('request-duration-p50')).toEqual({
      ref: 'support-bot-request-duration-p50',
      range: { max: 100 },
    });
    expect(m.get('error-rate')).toEqual({ ref: 'support-bot-error-rate', range: { max: 0.1 } });
    const p50 = o.get('MetricTemplate/support-bot-request-duration-p50').spec.query;
    expect(p50).toMatch(/^histogram_quantile\(0\.5, /);
    expect(p50).toContain(
      routing === 'istio'
        ? 'istio_request_duration_milliseconds_bucket'
        : 'http_request_duration_seconds_bucket',
    );
  });

  it('lists every abort bound as its own metric, over the same templates', () => {
    const m = metricsOf(o);
    expect(m.get('abort-request-success-rate')).toEqual({
      ref: 'support-bot-request-success-rate',
      range: { min: 95 },
    });
    expect(m.get('abort-error-rate')).toEqual({ ref: 'support-bot-error-rate', range: { max: 5 } });
    expect(m.get('abort-request-duration')).toEqual({
      ref: 'support-bot-request-duration',
      range: { max: 2000 },
    });
    // every templateRef names an emitted template
    for (const { ref } of m.values()) if (ref) expect(o.has(`MetricTemplate/${ref}`)).toBe(true);
  });

  it('adds the abort rollback hook with every abort bound in one probe', () => {
    const h = hook(o, 'abort');
    expect(h).toMatchObject({
      type: 'rollback',
      url: 'http://flagger-loadtester.flagger-system/',
      timeout: '5s',
    });
    expect(h.metadata.type).toBe('bash');
    expect(h.metadata.cmd).toMatch(
      /^curl -sfG -m 4 'http:\/\/prometheus\.istio-system:9090\/api\/v1\/query' --data-urlencode 'query=/,
    );
    expect(h.metadata.cmd).toContain(' < 95 or ');
    expect(h.metadata.cmd).toContain(' > 5 or ');
    expect(h.metadata.cmd).toContain(' > 2000');
    // rendered for this agent: Flagger does not template webhooks
    expect(h.metadata.cmd).not.toContain('{{');
    expect(h.metadata.cmd).toContain('team-a');
  });

  it('no abort bounds: no abort metrics and no rollback hook', () => {
    const none = objects(routing, {
      ...DEFAULT_POLICY_SPEC,
      abort: { successRate: {}, errorRate: {}, latencyP99: {} },
    });
    expect([...metricsOf(none).keys()].filter((k) => String(k).startsWith('abort-'))).toEqual([]);
    expect(hook(none, 'abort')).toBeUndefined();
  });

  it('runs the load-test command of the policy, placeholders filled', () => {
    expect(hook(o, 'load-test').metadata).toEqual({
      type: 'cmd',
      cmd: 'hey -z 1m -q 2 -c 1 http://support-bot-canary.team-a:8000/',
    });
    const custom = objects(routing, {
      ...DEFAULT_POLICY_SPEC,
      loadTest: {
        command: 'hey -z {window} -m POST -d \'{"q": 1}\' {url}chat # {name} in {namespace}',
        timeout: '7s',
      },
    });
    expect(hook(custom, 'load-test')).toMatchObject({
      timeout: '7s',
      metadata: {
        type: 'cmd',
        cmd: 'hey -z 1m -m POST -d \'{"q": 1}\' http://support-bot-canary.team-a:8000/chat # support-bot in team-a',
      },
    });
  });

  it("falls back to agent-canary.yaml's load-test command", () => {
    const cluster = parseClusterConfig(
      'agent-canary.yaml',
      'apiVersion: agent-canary.dev/v1alpha1\nkind: ClusterConfig\nspec:\n  flagger:\n    loadTesterUrl: http://lt.flagger/\n    loadTestCommand: "hey -z {window} -q 5 {url}health"\n',
    );
    const o2 = objects(routing, DEFAULT_POLICY_SPEC, { cluster });
    expect(hook(o2, 'load-test')).toMatchObject({
      url: 'http://lt.flagger/',
      metadata: { cmd: 'hey -z 1m -q 5 http://support-bot-canary.team-a:8000/health' },
    });
    // the abort probe runs on the same load tester
    expect(hook(o2, 'abort').url).toBe('http://lt.flagger/');
  });
});

describe('bad input', () => {
  it('an unknown placeholder in agent-canary.yaml is a located error', () => {
    expect(() =>
      parseClusterConfig(
        'agent-canary.yaml',
        'apiVersion: agent-canary.dev/v1alpha1\nkind: ClusterConfig\nspec:\n  flagger:\n    loadTestCommand: "hey {host}"\n',
      ),
    ).toThrow(/agent-canary\.yaml:5: spec\.flagger\.loadTestCommand: .*placeholders \{url\}/);
  });

  it('a bad override in a fleet file names the file, line and field', () => {
    const text = edit(
      edit(GOOD, 'mode: manual', 'mode: progressive'),
      '  policy: default\n',
      '  policy: default\n  loadTest: true\n  overrides:\n    metrics:\n      latencyP50: { min: 5 }\n',
    );
    let err: unknown;
    try {
      parseFleetFile('team-a/support-bot.yaml', text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FleetError);
    expect(err).toMatchObject({
      file: 'team-a/support-bot.yaml',
      field: 'rollout.overrides.metrics.latencyP50.min',
    });
  });

  it('the default cluster command is the documented one', () => {
    expect(DEFAULT_CLUSTER_CONFIG.flagger.loadTestCommand).toBe('hey -z {window} -q 2 -c 1 {url}');
  });
});
