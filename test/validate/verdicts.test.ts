/**
 * Verdicts as the cluster gives them: removed API versions are invalid (with the version to use),
 * `format: duration` is a Go/Kubernetes duration, null fields of core kinds are zero values.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validatePaths } from '../../src/validate/index.js';

const base = { policies: new Map(), fleet: [], rules: false } as const;
const tmp = mkdtempSync(join(tmpdir(), 'verdicts-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
async function validate(text: string, extra: Record<string, unknown> = {}) {
  const file = join(tmp, `m${n++}.yaml`);
  writeFileSync(file, text);
  return validatePaths([file], { ...base, ...extra });
}

const deployment = (apiVersion: string) => `apiVersion: ${apiVersion}
kind: Deployment
metadata: { name: web, namespace: demo }
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers: [{ name: web, image: nginx:1.27.0 }]
`;

describe('removed API versions', () => {
  for (const [apiVersion, kind, replacement] of [
    ['apps/v1beta1', 'Deployment', 'apps/v1'],
    ['apps/v1beta2', 'Deployment', 'apps/v1'],
    ['extensions/v1beta1', 'Deployment', 'apps/v1'],
    ['extensions/v1beta1', 'Ingress', 'networking.k8s.io/v1'],
    ['batch/v1beta1', 'CronJob', 'batch/v1'],
    ['policy/v1beta1', 'PodDisruptionBudget', 'policy/v1'],
    ['autoscaling/v2beta2', 'HorizontalPodAutoscaler', 'autoscaling/v2'],
  ] as const) {
    it(`${kind} ${apiVersion} is invalid and names ${replacement}`, async () => {
      const report = await validate(
        kind === 'Deployment'
          ? deployment(apiVersion)
          : `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata: { name: x, namespace: demo }\nspec: {}\n`,
      );
      expect(report.results.map((r) => r.status)).toEqual(['invalid']);
      expect(report.findings).toMatchObject([
        { ruleId: 'removed-api', line: 1, path: 'apiVersion' },
      ]);
      expect(report.findings[0]!.message).toContain(`served as ${replacement}`);
      expect(report.findings[0]!.fix).toContain(`apiVersion: ${replacement}`);
      expect(report.exitCode).toBe(1);
    });
  }

  it('PodSecurityPolicy says it is gone and what replaces it', async () => {
    const report = await validate(
      'apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata: { name: p }\nspec: {}\n',
    );
    expect(report.findings[0]).toMatchObject({ ruleId: 'removed-api' });
    expect(report.findings[0]!.fix).toContain('Pod Security Admission');
  });

  it('apps/v1 stays valid', async () => {
    expect((await validate(deployment('apps/v1'))).exitCode).toBe(0);
  });
});

describe('format: duration (Go/Kubernetes, not ISO 8601)', () => {
  const crd = join(tmp, 'timer-crd.yaml');
  writeFileSync(
    crd,
    `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: timers.example.com }
spec:
  group: example.com
  names: { kind: Timer, plural: timers }
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                every: { type: string, format: duration }
`,
  );
  for (const [value, ok] of [
    ['5m', true],
    ['1h30m', true],
    ['1.5s', true],
    ['0', true],
    ['PT5M', false],
    ['5', false],
    ['soon', false],
  ] as const) {
    it(`${value} is ${ok ? 'valid' : 'invalid'}`, async () => {
      const report = await validate(
        `apiVersion: example.com/v1\nkind: Timer\nmetadata: { name: t, namespace: demo }\nspec: { every: "${value}" }\n`,
        { crds: [crd] },
      );
      expect(report.results.map((r) => r.status)).toEqual([ok ? 'valid' : 'invalid']);
    });
  }
});

describe('null fields of core kinds', () => {
  it('a null ConfigMap value is accepted, as the API server stores it as ""', async () => {
    const report = await validate(
      'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: c, namespace: demo }\ndata:\n  a: null\n  b:\n',
    );
    expect(report.findings).toEqual([]);
    expect(report.exitCode).toBe(0);
  });

  it('a wrong type next to a null is still reported', async () => {
    const report = await validate(
      'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: c, namespace: demo }\ndata:\n  a: null\n  b: [1]\n',
    );
    expect(report.findings).toMatchObject([{ ruleId: 'schema', path: 'data.b' }]);
  });
});

describe('built-in CRDs as upstream serves them', () => {
  const vs = (apiVersion: string) => `apiVersion: ${apiVersion}
kind: VirtualService
metadata: { name: web, namespace: demo }
spec:
  hosts: [web]
  http:
    - route:
        - destination: { host: web, subset: stable }
          weight: 100
`;
  for (const v of [
    'networking.istio.io/v1',
    'networking.istio.io/v1beta1',
    'networking.istio.io/v1alpha3',
  ]) {
    it(`Istio VirtualService at ${v}`, async () => {
      const report = await validate(vs(v));
      expect(report.findings).toEqual([]);
    });
  }

  it('DestinationRule at v1beta1', async () => {
    const report = await validate(
      'apiVersion: networking.istio.io/v1beta1\nkind: DestinationRule\nmetadata: { name: web, namespace: demo }\nspec:\n  host: web\n',
    );
    expect(report.findings).toEqual([]);
  });

  it('AppProject with sourceIntegrity and named clusterResourceWhitelist entries', async () => {
    const report = await validate(`apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata: { name: p, namespace: argocd }
spec:
  sourceRepos: ['*']
  clusterResourceWhitelist:
    - { group: '', kind: Namespace, name: 'team-*' }
  sourceIntegrity:
    git:
      policies:
        - gpg: { keys: [ABCDEF0123456789], mode: strict }
          repos: [{ url: 'https://git.example.com/*' }]
`);
    expect(report.findings).toEqual([]);
  });
});
