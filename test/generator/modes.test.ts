/** What each rollout mode emits: the object set, weights, selectors, the challenger config. */
import { describe, expect, it } from 'vitest';
import { synthesizeAgent } from '../../src/synth/synthesize.js';
import { byKindName, fleetAgent, gatewayRefs, policies } from './_fixtures.js';

const opts = { policies: policies() };

describe('manual mode, Istio', () => {
  const objs = byKindName(synthesizeAgent(fleetAgent(), opts));

  it('emits the stable and canary workloads and the weighted route, nothing Flagger owns', () => {
    expect([...objs.keys()].sort()).toEqual([
      'Agent/support-bot',
      'ConfigMap/support-bot-canary-config',
      'ConfigMap/support-bot-config',
      'Deployment/support-bot',
      'Deployment/support-bot-canary',
      'DestinationRule/support-bot',
      'PodDisruptionBudget/support-bot',
      'PodDisruptionBudget/support-bot-canary',
      'Service/support-bot',
      'Service/support-bot-canary',
      'VirtualService/support-bot',
    ]);
  });

  it.each([0, 1, 10, 25, 50, 99, 100])('splits weight %i as 100-w / w, summing to 100', (w) => {
    const agent = fleetAgent({ canary: { enabled: true, weight: w, version: '4' } });
    const vs = byKindName(synthesizeAgent(agent, opts)).get('VirtualService/support-bot');
    const route = vs.spec.http[0].route as { destination: { subset: string }; weight: number }[];
    expect(route.map((r) => [r.destination.subset, r.weight])).toEqual([
      ['stable', 100 - w],
      ['canary', w],
    ]);
    expect(route.reduce((s, r) => s + r.weight, 0)).toBe(100);
  });

  it('defines subsets stable/canary on the version label the pods carry', () => {
    const dr = objs.get('DestinationRule/support-bot');
    expect(dr.spec.subsets).toEqual([
      { name: 'stable', labels: { version: 'stable' } },
      { name: 'canary', labels: { version: 'canary' } },
    ]);
    expect(objs.get('Deployment/support-bot').spec.template.metadata.labels.version).toBe('stable');
    expect(objs.get('Deployment/support-bot-canary').spec.template.metadata.labels.version).toBe(
      'canary',
    );
  });

  it('runs the challenger image and config in the canary Deployment', () => {
    const dep = objs.get('Deployment/support-bot-canary');
    const c = dep.spec.template.spec.containers[0];
    expect(c.image).toBe('ghcr.io/recif-platform/corail:v0.4.0');
    expect(c.envFrom[0]).toEqual({ configMapRef: { name: 'support-bot-canary-config' } });
    expect(c.envFrom[1]).toEqual({ secretRef: { name: 'agent-env' } });
    const cm = objs.get('ConfigMap/support-bot-canary-config').data;
    expect(cm).toMatchObject({
      CORAIL_MODEL_ID: 'gpt-4.1-mini',
      CORAIL_MODEL_TYPE: 'openai',
      CORAIL_SYSTEM_PROMPT: 'Be brief.',
      CORAIL_TOOLS: '["web-search"]',
      CORAIL_SKILLS: '[]',
      RECIF_AGENT_VERSION: '4',
    });
    const stable = objs.get('ConfigMap/support-bot-config').data;
    expect(stable).toMatchObject({
      CORAIL_MODEL_ID: 'gpt-4o-mini',
      CORAIL_TOOLS: '["ticket-lookup"]',
      RECIF_AGENT_VERSION: '3',
      CORAIL_STRATEGY: 'simple',
      CORAIL_CHANNEL: 'rest',
      CORAIL_STORAGE: 'memory',
    });
    expect(objs.get('Deployment/support-bot').spec.template.spec.containers[0].image).toBe(
      'ghcr.io/recif-platform/corail:v0.3.1',
    );
  });

  it('keeps the challenger image the stable one when the canary sets none', () => {
    const o = byKindName(
      synthesizeAgent(fleetAgent({ canary: { enabled: true, weight: 5, modelId: 'x' } }), opts),
    );
    expect(o.get('Deployment/support-bot-canary').spec.template.spec.containers[0].image).toBe(
      'ghcr.io/recif-platform/corail:v0.3.1',
    );
  });

  it('gives every agent pod the Flagger/Istio labels, probes, ports and a restricted securityContext', () => {
    for (const name of ['Deployment/support-bot', 'Deployment/support-bot-canary']) {
      const pod = objs.get(name).spec.template;
      expect(pod.metadata.labels).toMatchObject({
        app: 'support-bot',
        'recif.dev/agent': 'support-bot',
        'app.kubernetes.io/name': 'support-bot',
        'app.kubernetes.io/managed-by': 'agent-canary',
        'app.kubernetes.io/part-of': 'recif',
        'app.kubernetes.io/component': 'agent',
      });
      expect(pod.metadata.labels).not.toHaveProperty('cdk8s.io/metadata.addr');
      const c = pod.spec.containers[0];
      expect(c.ports).toEqual([
        { containerPort: 8000, name: 'http', protocol: 'TCP' },
        { containerPort: 8001, name: 'http-control', protocol: 'TCP' },
      ]);
      expect(c.imagePullPolicy).toBe('IfNotPresent');
      expect(c.readinessProbe).toBeDefined();
      expect(c.livenessProbe).toBeDefined();
      expect(c.startupProbe).toBeUndefined();
      expect(c.resources.requests).toBeDefined();
      expect(c.securityContext).toMatchObject({
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(pod.spec.securityContext).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
    }
    expect(objs.get('Deployment/support-bot').spec.replicas).toBe(2);
    expect(objs.get('Deployment/support-bot').spec.selector.matchLabels).toEqual({
      app: 'support-bot',
      version: 'stable',
    });
    expect(objs.get('Service/support-bot').spec.selector).toEqual({ app: 'support-bot' });
    expect(objs.get('Service/support-bot-canary').spec.selector).toEqual({
      app: 'support-bot',
      version: 'canary',
    });
  });

  it('rolls pods when only the ConfigMap changes (checksum annotation)', () => {
    const a = byKindName(synthesizeAgent(fleetAgent(), opts)).get('Deployment/support-bot-canary');
    const b = byKindName(
      synthesizeAgent(
        fleetAgent({
          canary: {
            enabled: true,
            weight: 10,
            image: 'ghcr.io/recif-platform/corail:v0.4.0',
            modelId: 'gpt-4.1',
          },
        }),
        opts,
      ),
    ).get('Deployment/support-bot-canary');
    expect(a.spec.template.metadata.annotations['agent-canary.dev/config-checksum']).not.toBe(
      b.spec.template.metadata.annotations['agent-canary.dev/config-checksum'],
    );
  });

  it('routes everything to stable and emits no canary objects without an enabled canary', () => {
    for (const canary of [null, { enabled: false, weight: 10 }]) {
      const o = byKindName(synthesizeAgent(fleetAgent({ canary }), opts));
      expect([...o.keys()].filter((k) => k.includes('canary'))).toEqual([]);
      expect(o.get('VirtualService/support-bot').spec.http[0].route).toEqual([
        {
          destination: {
            host: 'support-bot.team-a.svc.cluster.local',
            port: { number: 8000 },
            subset: 'stable',
          },
          weight: 100,
        },
      ]);
    }
  });
});

describe('manual mode, Gateway API', () => {
  const agent = fleetAgent({
    rollout: { routing: 'gateway-api', gatewayRefs, hosts: ['support.example.com'] },
    canary: { enabled: true, weight: 25, image: 'ghcr.io/recif-platform/corail:v0.4.0' },
  });
  const objs = byKindName(synthesizeAgent(agent, opts));

  it('weights the two Services 100-w / w in one HTTPRoute rule', () => {
    const route = objs.get('HTTPRoute/support-bot');
    expect(route.spec.parentRefs).toEqual([
      { name: 'internal-gateway', namespace: 'gateway-system' },
    ]);
    expect(route.spec.hostnames).toEqual(['support.example.com']);
    const refs = route.spec.rules[0].backendRefs;
    expect(
      refs.map((r: { name: string; weight: number; port: number }) => [r.name, r.weight, r.port]),
    ).toEqual([
      ['support-bot', 75, 8000],
      ['support-bot-canary', 25, 8000],
    ]);
    expect(refs[0].weight + refs[1].weight).toBe(100);
    expect(objs.has('VirtualService/support-bot')).toBe(false);
  });

  it('keeps canary pods out of Service <slug>, so the weights are the real shares', () => {
    expect(objs.get('Service/support-bot').spec.selector).toEqual({
      app: 'support-bot',
      version: 'stable',
    });
  });

  it('refuses gateway-api routing without gatewayRefs, naming the prop and the fix', () => {
    const bad = fleetAgent({ rollout: { routing: 'gateway-api' } });
    expect(() => synthesizeAgent(bad, opts)).toThrow(
      /props\.gatewayRefs is empty.*rollout\.gatewayRefs/,
    );
  });
});

describe('progressive mode', () => {
  const istio = byKindName(synthesizeAgent(fleetAgent({ rollout: { mode: 'progressive' } }), opts));
  const gw = byKindName(
    synthesizeAgent(
      fleetAgent({
        rollout: { mode: 'progressive', routing: 'gateway-api', gatewayRefs, loadTest: true },
      }),
      opts,
    ),
  );

  it('emits the target Deployment without replicas, and none of the objects Flagger generates', () => {
    expect([...istio.keys()].sort()).toEqual([
      'Agent/support-bot',
      'Canary/support-bot',
      'ConfigMap/support-bot-config',
      'Deployment/support-bot',
      // spec.replicas 2 becomes a fixed-size HPA (Flagger copies it to -primary); a PDB per track
      'HorizontalPodAutoscaler/support-bot',
      // the abort bounds' templates (Istio's built-ins cannot be listed twice under one name)
      'MetricTemplate/support-bot-error-rate',
      'MetricTemplate/support-bot-request-duration',
      'MetricTemplate/support-bot-request-success-rate',
      'PodDisruptionBudget/support-bot',
      'PodDisruptionBudget/support-bot-primary',
    ]);
    for (const objs of [istio, gw]) {
      const dep = objs.get('Deployment/support-bot');
      expect(dep.spec).not.toHaveProperty('replicas');
      for (const k of objs.keys())
        expect(k).not.toMatch(/^(Service|VirtualService|DestinationRule|HTTPRoute)\//);
    }
  });

  it('lets Flagger select the pods by the app label', () => {
    const dep = istio.get('Deployment/support-bot');
    expect(dep.spec.selector.matchLabels).toEqual({ app: 'support-bot' });
    expect(dep.spec.template.metadata.labels.app).toBe('support-bot');
    expect(istio.get('Canary/support-bot').spec.targetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'support-bot',
    });
  });

  it('renders the challenger into the target when a canary is enabled (a new revision for Flagger)', () => {
    expect(istio.get('Deployment/support-bot').spec.template.spec.containers[0].image).toBe(
      'ghcr.io/recif-platform/corail:v0.4.0',
    );
    expect(istio.get('ConfigMap/support-bot-config').data.RECIF_AGENT_VERSION).toBe('4');
    const noCanary = byKindName(
      synthesizeAgent(fleetAgent({ canary: null, rollout: { mode: 'progressive' } }), opts),
    );
    expect(noCanary.get('Deployment/support-bot').spec.template.spec.containers[0].image).toBe(
      'ghcr.io/recif-platform/corail:v0.3.1',
    );
  });

  it('turns the policy into the Flagger plan', () => {
    const a = istio.get('Canary/support-bot').spec.analysis;
    expect(a.stepWeights).toEqual([5, 10, 25, 50]);
    expect(a.maxWeight).toBe(50);
    expect(a.interval).toBe('1m');
    expect(a.threshold).toBe(3);
    expect(a).not.toHaveProperty('stepWeight');
    expect(a).not.toHaveProperty('iterations');
  });

  it('uses Istio built-in metric gates at the policy bounds', () => {
    const c = istio.get('Canary/support-bot').spec;
    expect(c.provider).toBe('istio');
    expect(c.analysis.metrics).toEqual([
      { name: 'request-success-rate', interval: '1m', thresholdRange: { min: 99 } },
      { name: 'request-duration', interval: '1m', thresholdRange: { max: 500 } },
      // abort bounds: metrics of their own, over templates of the same checks
      {
        name: 'abort-request-success-rate',
        interval: '1m',
        templateRef: { name: 'support-bot-request-success-rate' },
        thresholdRange: { min: 95 },
      },
      {
        name: 'abort-error-rate',
        interval: '1m',
        templateRef: { name: 'support-bot-error-rate' },
        thresholdRange: { max: 5 },
      },
      {
        name: 'abort-request-duration',
        interval: '1m',
        templateRef: { name: 'support-bot-request-duration' },
        thresholdRange: { max: 2000 },
      },
    ]);
  });

  it('uses MetricTemplates over the app histogram for Gateway API, which has no built-ins', () => {
    const c = gw.get('Canary/support-bot').spec;
    expect(c.provider).toBe('gatewayapi:v1');
    expect(c.service.gatewayRefs).toEqual(gatewayRefs);
    const refs = c.analysis.metrics.map(
      (m: { name: string; templateRef?: { name: string }; thresholdRange: object }) => [
        m.name,
        m.templateRef?.name,
        m.thresholdRange,
      ],
    );
    expect(refs).toEqual([
      ['abort-request-success-rate', 'support-bot-request-success-rate', { min: 95 }],
      ['abort-error-rate', 'support-bot-error-rate', { max: 5 }],
      ['abort-request-duration', 'support-bot-request-duration', { max: 2000 }],
      ['request-success-rate', 'support-bot-request-success-rate', { min: 99 }],
      ['request-duration', 'support-bot-request-duration', { max: 500 }],
    ]);
    const t = gw.get('MetricTemplate/support-bot-request-duration');
    expect(t.spec.provider).toEqual({
      type: 'prometheus',
      address: 'http://prometheus.istio-system:9090',
    });
    expect(t.spec.query).toContain('http_request_duration_seconds_bucket');
    expect(t.spec.query).toContain('{{ target }}');
  });

  it('adds the load-test webhook only when asked', () => {
    const names = (o: Map<string, any>) =>
      o
        .get('Canary/support-bot')
        .spec.analysis.webhooks.map((w: { name: string; type: string }) => `${w.name}:${w.type}`);
    expect(names(gw)).toEqual([
      'load-test:rollout',
      'quality-gate:rollout',
      'step-hold:confirm-traffic-increase',
      'step-hold:confirm-promotion',
      'abort:rollback',
    ]);
    expect(names(istio)).toEqual([
      'quality-gate:rollout',
      'step-hold:confirm-traffic-increase',
      'step-hold:confirm-promotion',
      'abort:rollback',
    ]);
  });

  it('puts the Canary in the last Argo CD sync wave of the agent', () => {
    const waves = [...istio.values()].map((o) =>
      Number(o.metadata.annotations?.['argocd.argoproj.io/sync-wave'] ?? 0),
    );
    expect(
      Number(istio.get('Canary/support-bot').metadata.annotations['argocd.argoproj.io/sync-wave']),
    ).toBe(Math.max(...waves));
  });
});
