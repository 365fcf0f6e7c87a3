/**
 * Every rule, a passing and a failing case, on the example fleet's own dist/ objects: the clean
 * set passes the rule; one mutation makes it fail at the expected field.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { SchemaRegistry, validatePaths, checkWeightChange } from '../../src/validate/index.js';
import { rules } from '../../src/validate/rules/index.js';
import type { ValidateOptions } from '../../src/validate/index.js';
import { distObjects, fleet, policies, setPath } from './_project.js';

const registry = new SchemaRegistry();
const tmp = mkdtempSync(join(tmpdir(), 'validate-rules-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Objects = Map<string, Record<string, unknown>>;
const TRIAGE = 'team-support/triage-agent';
const BOT = 'team-support/support-bot';
const canaryOf = (o: Objects) => o.get(`${TRIAGE}/Canary.triage-agent.yaml`)!;
const webhooks = (o: Objects) =>
  (canaryOf(o).spec as { analysis: { webhooks: Record<string, unknown>[] } }).analysis.webhooks;
const hookIndex = (o: Objects, name: string, type?: string) =>
  webhooks(o).findIndex((w) => w.name === name && (!type || w.type === type));

async function run(objects: Objects, extra: Partial<ValidateOptions> = {}) {
  const text = [...objects.values()].map((o) => stringify(o)).join('---\n');
  return validatePaths(['-'], { stdin: text, policies, fleet, registry, ...extra });
}

function writeLive(weight: number, phase = 'Progressing'): string {
  const file = join(tmp, `live-${weight}-${phase}.yaml`);
  writeFileSync(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        {
          apiVersion: 'flagger.app/v1beta1',
          kind: 'Canary',
          metadata: { name: 'triage-agent', namespace: 'team-support' },
          status: { canaryWeight: weight, phase },
        },
      ],
    }),
  );
  return file;
}

interface Case {
  readonly mutate: (o: Objects) => void;
  readonly path: string;
  readonly opts?: Partial<ValidateOptions>;
  /** Options for the passing run (e.g. a live weight that is fine). */
  readonly passOpts?: Partial<ValidateOptions>;
}

const CASES: Record<string, Case> = {
  'canary-weight-bounds': {
    mutate: (o) =>
      setPath(o.get(`${BOT}/Agent.support-bot.yaml`), ['spec', 'canary', 'weight'], 15),
    path: 'spec.canary.weight',
  },
  'manual-weight-step': {
    mutate: (o) => {
      setPath(o.get(`${BOT}/Agent.support-bot.yaml`), ['spec', 'canary', 'weight'], 50);
      const vs = o.get(`${BOT}/VirtualService.support-bot.yaml`) as {
        spec: { http: { route: { weight: number; destination: { subset: string } }[] }[] };
      };
      for (const d of vs.spec.http[0]!.route)
        d.weight = d.destination.subset === 'canary' ? 50 : 50;
    },
    path: 'spec.canary.weight',
    // Every manual agent needs a base weight: an agent absent at base is new and starts from 0.
    opts: {
      baseWeights: new Map([
        [BOT, 10],
        ['team-research/research-assistant', 25],
      ]),
    },
    passOpts: {
      baseWeights: new Map([
        [BOT, 5],
        ['team-research/research-assistant', 25],
      ]),
    },
  },
  'flagger-step-mode': {
    mutate: (o) => setPath(canaryOf(o), ['spec', 'analysis', 'stepWeight'], 10),
    path: 'spec.analysis.stepWeights',
  },
  'flagger-max-weight-overshoot': {
    mutate: (o) => {
      setPath(canaryOf(o), ['spec', 'analysis', 'stepWeights'], undefined);
      setPath(canaryOf(o), ['spec', 'analysis', 'stepWeight'], 20);
    },
    path: 'spec.analysis.maxWeight',
  },
  'flagger-duration-unit': {
    mutate: (o) => setPath(canaryOf(o), ['spec', 'analysis', 'interval'], '1h'),
    path: 'spec.analysis.interval',
  },
  'flagger-threshold': {
    mutate: (o) => setPath(canaryOf(o), ['spec', 'analysis', 'threshold'], undefined),
    path: 'spec.analysis.threshold',
  },
  'flagger-webhook-metadata-strings': {
    mutate: (o) =>
      setPath(webhooks(o)[hookIndex(o, 'quality-gate')], ['metadata', 'minSamples'], 20),
    path: 'spec.analysis.webhooks[0].metadata.minSamples',
  },
  'flagger-webhook-timeout': {
    mutate: (o) => setPath(webhooks(o)[hookIndex(o, 'quality-gate')], ['timeout'], '45s'),
    path: 'spec.analysis.webhooks[0].timeout',
  },
  'flagger-quality-gate': {
    mutate: (o) => webhooks(o).splice(hookIndex(o, 'quality-gate'), 1),
    path: 'spec.analysis.webhooks',
  },
  'flagger-gate-not-rollback': {
    mutate: (o) =>
      setPath(webhooks(o)[hookIndex(o, 'step-hold', 'confirm-promotion')], ['type'], 'rollback'),
    path: 'spec.analysis.webhooks[2].type',
  },
  'flagger-rollback-hook-on-gate': {
    // A hand-written rollback hook on the gate URL, with a name and metadata of its own.
    mutate: (o) =>
      webhooks(o).push({
        name: 'notify',
        type: 'rollback',
        url: String(webhooks(o)[hookIndex(o, 'quality-gate')]!.url),
        timeout: '5s',
        metadata: { channel: 'ops' },
      }),
    path: 'spec.analysis.webhooks[4].url',
  },
  'flagger-metric-template-ref': {
    mutate: (o) => {
      const c = o.get('team-research/summarizer/Canary.summarizer.yaml') as {
        spec: { analysis: { metrics: { templateRef?: { name: string } }[] } };
      };
      const i = c.spec.analysis.metrics.findIndex((m) => m.templateRef);
      c.spec.analysis.metrics[i]!.templateRef!.name = 'summarizer-typo';
    },
    path: 'spec.analysis.metrics[0].templateRef.name',
  },
  'flagger-provider': {
    mutate: (o) =>
      setPath(
        o.get('team-research/summarizer/Canary.summarizer.yaml'),
        ['spec', 'service', 'gatewayRefs'],
        undefined,
      ),
    path: 'spec.service.gatewayRefs',
  },
  'live-max-weight': {
    mutate: (o) => {
      setPath(canaryOf(o), ['spec', 'analysis', 'stepWeights'], undefined);
      setPath(canaryOf(o), ['spec', 'analysis', 'stepWeight'], 10);
    },
    path: 'spec.analysis.maxWeight',
    opts: { live: writeLive(50) },
    passOpts: { live: writeLive(30) },
  },
  'live-step-weights': {
    mutate: () => {},
    path: 'spec.analysis.stepWeights',
    opts: { live: writeLive(25) },
    passOpts: { live: writeLive(10) },
  },
  'live-skip-analysis': {
    mutate: (o) => setPath(canaryOf(o), ['spec', 'skipAnalysis'], true),
    path: 'spec.skipAnalysis',
    opts: { live: writeLive(10) },
    passOpts: { live: writeLive(10) },
  },
  'one-rollout-mode': {
    mutate: (o) => {
      const d = structuredClone(o.get(`${TRIAGE}/Deployment.triage-agent.yaml`)!) as {
        metadata: { name: string };
      };
      d.metadata.name = 'triage-agent-canary';
      o.set(`${TRIAGE}/Deployment.triage-agent-canary.yaml`, d);
    },
    path: 'metadata.name',
  },
  'flagger-owned-objects': {
    mutate: (o) => {
      const s = structuredClone(o.get(`${BOT}/Service.support-bot.yaml`)!) as {
        metadata: { name: string; labels: Record<string, string> };
      };
      s.metadata.name = 'triage-agent-primary';
      s.metadata.labels = { app: 'triage-agent' };
      o.set(`${TRIAGE}/Service.triage-agent-primary.yaml`, s);
    },
    path: 'metadata.name',
  },
  'flagger-target-replicas': {
    mutate: (o) =>
      setPath(o.get(`${TRIAGE}/Deployment.triage-agent.yaml`), ['spec', 'replicas'], 2),
    path: 'spec.replicas',
  },
  'argocd-ignore-differences': {
    mutate: (o) =>
      setPath(
        o.get('argocd/Application.agent-canary-team-support.yaml'),
        ['spec', 'ignoreDifferences'],
        undefined,
      ),
    path: 'spec.ignoreDifferences',
  },
  'canary-image-pinned': {
    mutate: (o) =>
      setPath(
        o.get(`${BOT}/Deployment.support-bot-canary.yaml`),
        ['spec', 'template', 'spec', 'containers', 0, 'image'],
        'ghcr.io/recif-platform/corail:latest',
      ),
    path: 'spec.template.spec.containers[0].image',
  },
  'canary-resources': {
    mutate: (o) =>
      setPath(
        o.get(`${BOT}/Deployment.support-bot-canary.yaml`),
        ['spec', 'template', 'spec', 'containers', 0, 'resources'],
        undefined,
      ),
    path: 'spec.template.spec.containers[0].resources',
  },
};

describe('rules', () => {
  it('has a case for every rule', () => {
    expect(Object.keys(CASES).sort()).toEqual(rules.map((r) => r.id).sort());
  });

  for (const [id, c] of Object.entries(CASES)) {
    it(`${id}: passes on the clean dist, fails on the mutation at ${c.path}`, async () => {
      const clean = await run(distObjects(), c.passOpts ?? c.opts);
      expect(clean.findings.filter((f) => f.ruleId === id)).toEqual([]);
      const objects = distObjects();
      c.mutate(objects);
      const bad = await run(objects, c.opts);
      const hits = bad.findings.filter((f) => f.ruleId === id);
      expect(
        hits.length,
        JSON.stringify(bad.findings.map((f) => `${f.ruleId} ${f.path}`)),
      ).toBeGreaterThan(0);
      expect(hits.map((f) => f.path)).toContain(c.path);
      const rule = rules.find((r) => r.id === id)!;
      expect(bad.exitCode).toBe(rule.severity === 'error' ? 1 : 0);
      for (const f of hits) {
        expect(f.line).toBeGreaterThan(0);
        expect(f.fix).toBeTruthy();
      }
    });
  }

  it('flagger-webhook-timeout leaves hooks outside the analysis iterations alone', async () => {
    const objects = distObjects();
    for (const type of ['pre-rollout', 'confirm-rollout', 'post-rollout']) {
      webhooks(objects).push({
        name: `${type}-check`,
        type,
        url: 'http://checks.demo/',
        timeout: '5m',
      });
    }
    const report = await run(objects);
    expect(report.findings.filter((f) => f.ruleId === 'flagger-webhook-timeout')).toEqual([]);
    webhooks(objects).push({
      name: 'slow',
      type: 'confirm-traffic-increase',
      url: 'http://checks.demo/',
      timeout: '5m',
    });
    const slow = await run(objects);
    expect(
      slow.findings.filter((f) => f.ruleId === 'flagger-webhook-timeout').map((f) => f.path),
    ).toEqual([`spec.analysis.webhooks[${webhooks(objects).length - 1}].timeout`]);
  });

  it('warnings fail only with failOnWarn', async () => {
    const objects = distObjects();
    CASES['flagger-max-weight-overshoot']!.mutate(objects);
    expect((await run(objects)).exitCode).toBe(0);
    expect((await run(objects, { failOnWarn: true })).exitCode).toBe(1);
  });
});

describe('checkWeightChange', () => {
  const plan = { steps: [5, 10, 25, 50].map((weight) => ({ weight, hold: '5m' })) };
  it.each([
    [0, 5, true],
    [5, 10, true],
    [10, 25, true],
    [25, 50, true],
    [50, 100, true],
    [10, 5, true],
    [25, 0, true],
    [10, 10, true],
    [0, 10, false],
    [10, 50, false],
    [5, 25, false],
    [10, 30, false],
    [50, 101, false],
    [10, -1, false],
  ])('%i -> %i allowed: %s', (from, to, ok) => {
    const v = checkWeightChange(plan, from, to);
    expect(v.ok).toBe(ok);
    if (!ok) {
      expect(v.message).toContain(String(to));
      expect(v.fix).toBeTruthy();
    }
  });
  it('names the skipped steps and the next step', () => {
    const v = checkWeightChange(plan, 10, 50);
    expect(v.message).toBe(
      'weight 10 -> 50 skips step 25; allowed: 25 (next step) or any weight below 10 (back down)',
    );
    expect(v.nextStep).toBe(25);
  });
});

describe('rules on malformed objects', () => {
  it('report schema findings and never crash', async () => {
    const docs = [
      {
        apiVersion: 'flagger.app/v1beta1',
        kind: 'Canary',
        metadata: { name: 'c1', namespace: 'n' },
        spec: 'oops',
      },
      {
        apiVersion: 'flagger.app/v1beta1',
        kind: 'Canary',
        metadata: { name: 'c2', namespace: 'n' },
        spec: {
          targetRef: 5,
          analysis: { webhooks: 'x', metrics: [null, 3], stepWeights: 'a', interval: 7 },
        },
      },
      {
        apiVersion: 'flagger.app/v1beta1',
        kind: 'Canary',
        metadata: { name: 'c3', namespace: 'n' },
        spec: {
          analysis: { webhooks: [null, { metadata: null, type: 'rollback' }, { metadata: [1] }] },
        },
      },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'c2', namespace: 'n', labels: 'x' },
        spec: { template: { spec: { containers: 'x' } } },
      },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'a-canary', namespace: 'n' },
        spec: { template: { spec: { containers: [null, { image: 5 }] } } },
      },
      {
        apiVersion: 'agents.recif.dev/v1',
        kind: 'Agent',
        metadata: { name: 'a', namespace: 'n' },
        spec: { canary: [] },
      },
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        metadata: { name: 'a', namespace: 'n', labels: { app: 'a' } },
        spec: { http: [{ route: 'x' }, null] },
      },
      {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name: 'app', namespace: 'argocd' },
        spec: { ignoreDifferences: [null, 'x'] },
      },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: null },
    ];
    const text = docs.map((d) => stringify(d)).join('---\n');
    const report = await validatePaths(['-'], {
      stdin: text,
      policies,
      fleet,
      registry,
      live: writeLive(10),
    });
    expect(report.findings.filter((f) => f.message.startsWith('rule failed'))).toEqual([]);
    expect(report.exitCode).toBe(1);
  });
});
