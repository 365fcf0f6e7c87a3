/** The whole tree: layout, determinism, Argo CD wiring, and validity against our own CRDs. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadFleet } from '../../src/fleet/load.js';
import { loadPolicies } from '../../src/policy/load.js';
import { synthesize, synthesizeAgent } from '../../src/synth/synthesize.js';
import { fleetAgent, gatewayRefs, policies } from './_fixtures.js';

const root = join(import.meta.dirname, '..', '..');
const example = () =>
  synthesize(loadFleet(join(root, 'fleet')), { policies: loadPolicies(join(root, 'policies')) });

const mixedFleet = [
  fleetAgent({ namespace: 'team-a', name: 'alpha' }),
  fleetAgent({ namespace: 'team-a', name: 'beta', rollout: { mode: 'progressive' } }),
  fleetAgent({
    namespace: 'team-b',
    name: 'gamma',
    rollout: { routing: 'gateway-api', gatewayRefs },
  }),
  fleetAgent({
    namespace: 'team-b',
    name: 'delta',
    canary: null,
    rollout: { mode: 'progressive', routing: 'gateway-api', gatewayRefs },
  }),
];

describe('layout', () => {
  it('puts one object per file at <namespace>/<agent>/<Kind>.<name>.yaml, the gate and Argo CD beside', () => {
    const paths = synthesize(mixedFleet, { policies: policies() }).map((m) => m.path);
    expect(paths).toContain('team-a/alpha/Deployment.alpha-canary.yaml');
    expect(paths).toContain('team-b/delta/MetricTemplate.delta-request-success-rate.yaml');
    expect(paths).toContain(
      'agent-canary-system/agent-canary-gate/NetworkPolicy.agent-canary-gate.yaml',
    );
    expect(paths).toContain('argocd/Application.agent-canary-team-b.yaml');
    expect(new Set(paths).size).toBe(paths.length);
    expect([...paths].sort()).toEqual(paths);
  });

  it('renders each manifest as one YAML document equal to its object, LF and trailing newline', () => {
    for (const m of synthesize(mixedFleet, { policies: policies() })) {
      expect(m.content.endsWith('\n')).toBe(true);
      expect(m.content).not.toContain('\r');
      expect(parse(m.content)).toEqual(m.object);
    }
  });
});

describe('determinism', () => {
  it('gives the same bytes for the same input, whatever the agent order', () => {
    const a = synthesize(mixedFleet, { policies: policies() });
    const b = synthesize([...mixedFleet].reverse(), { policies: policies() });
    expect(b.map((m) => [m.path, m.content])).toEqual(a.map((m) => [m.path, m.content]));
  });

  it('renders one agent alone exactly as in the full tree (what the GitOps operations rely on)', () => {
    const all = new Map(
      synthesize(mixedFleet, { policies: policies() }).map((m) => [m.path, m.content]),
    );
    for (const agent of mixedFleet) {
      const one = synthesizeAgent(agent, { policies: policies() });
      expect(one.length).toBeGreaterThan(2);
      for (const m of one) {
        expect(m.path.startsWith(`${agent.id}/`)).toBe(true);
        expect(all.get(m.path)).toBe(m.content);
      }
    }
  });
});

describe('Argo CD', () => {
  const objs = synthesize(mixedFleet, {
    policies: policies(),
    repoURL: 'https://git.example.com/ops/agents.git',
    targetRevision: 'release',
    distPath: 'deploy/dist',
  });
  const apps = objs.filter((m) => m.object['kind'] === 'Application').map((m) => m.object as any);

  it('has one Application per namespace folder, syncing that folder from the given repo and revision', () => {
    const byName = new Map(apps.map((a) => [a.metadata.name, a]));
    for (const ns of ['team-a', 'team-b', 'agent-canary-system']) {
      const app = byName.get(`agent-canary-${ns}`);
      expect(app.spec.source).toEqual({
        repoURL: 'https://git.example.com/ops/agents.git',
        path: `deploy/dist/${ns}`,
        targetRevision: 'release',
        directory: { recurse: true },
      });
      expect(app.spec.destination.namespace).toBe(ns);
      expect(app.spec.project).toBe('agent-canary');
    }
    expect(byName.get('agent-canary-apps').spec.source.path).toBe('deploy/dist/argocd');
  });

  it('syncs automatically with prune and selfHeal and leaves the replicas of Flagger targets to Flagger', () => {
    for (const app of apps) {
      expect(app.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
      if (app.metadata.name === 'agent-canary-apps') continue;
      expect(app.spec.syncPolicy.syncOptions).toContain('RespectIgnoreDifferences=true');
    }
    const ignored = (ns: string) =>
      apps.find((a) => a.metadata.name === `agent-canary-${ns}`).spec.ignoreDifferences;
    // Only the progressive targets (beta, delta); the fixed-size manual Deployments stay healed to Git.
    expect(ignored('team-a')).toEqual([
      { group: 'apps', kind: 'Deployment', name: 'beta', jsonPointers: ['/spec/replicas'] },
    ]);
    expect(ignored('team-b')).toEqual([
      { group: 'apps', kind: 'Deployment', name: 'delta', jsonPointers: ['/spec/replicas'] },
    ]);
    expect(ignored('agent-canary-system')).toBeUndefined();
  });

  it('admits the repository and every namespace in the AppProject', () => {
    const project = objs.find((m) => m.object['kind'] === 'AppProject')!.object as any;
    expect(project.spec.sourceRepos).toEqual(['https://git.example.com/ops/agents.git']);
    expect(project.spec.destinations.map((d: { namespace: string }) => d.namespace).sort()).toEqual(
      ['agent-canary-system', 'argocd', 'team-a', 'team-b'],
    );
  });

  it('defaults the repository and revision when not given', () => {
    const app = synthesize(mixedFleet, { policies: policies() }).find(
      (m) => m.path === 'argocd/Application.agent-canary-team-a.yaml',
    )!.object as any;
    expect(app.spec.source).toMatchObject({
      repoURL: 'https://github.com/example/agent-canary.git',
      targetRevision: 'main',
      path: 'dist/team-a',
    });
  });
});

describe('gate server', () => {
  it('admits only the Flagger namespace to the gate pods', () => {
    const np = synthesize(mixedFleet, {
      policies: policies(),
      gate: { flaggerNamespace: 'istio-system' },
    }).find((m) => m.object['kind'] === 'NetworkPolicy')!.object as any;
    expect(np.spec.podSelector).toEqual({ matchLabels: { app: 'agent-canary-gate' } });
    expect(np.spec.policyTypes).toEqual(['Ingress']);
    expect(np.spec.ingress).toHaveLength(1);
    expect(np.spec.ingress[0].from).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } } },
    ]);
  });
});

// ---- validity against the CRDs the project carries (imports/crds), as the API server would apply them.
function toJsonSchema(s: any): any {
  if (Array.isArray(s)) return s.map(toJsonSchema);
  if (!s || typeof s !== 'object') return s;
  const o: any = {};
  for (const [k, v] of Object.entries(s)) {
    if (k.startsWith('x-kubernetes-') || k === 'nullable') continue;
    o[k] =
      k === 'properties'
        ? Object.fromEntries(Object.entries(v as object).map(([p, ps]) => [p, toJsonSchema(ps)]))
        : toJsonSchema(v);
  }
  if (s['x-kubernetes-int-or-string']) o.anyOf = [{ type: 'integer' }, { type: 'string' }];
  if (s.nullable && o.type) o.type = [o.type, 'null'];
  if (
    s.type === 'object' &&
    s.properties &&
    !s['x-kubernetes-preserve-unknown-fields'] &&
    s.additionalProperties === undefined
  )
    o.additionalProperties = false;
  return o;
}

function crdValidators() {
  const ajv = new Ajv({ strict: false, allErrors: true });
  (addFormatsModule as unknown as (a: Ajv) => void)(ajv);
  for (const f of ['int32', 'int64', 'double', 'url']) ajv.addFormat(f, true);
  const out = new Map<string, ReturnType<Ajv['compile']>>();
  const dir = join(root, 'imports', 'crds');
  for (const file of readdirSync(dir)) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      const crd = doc.toJS();
      for (const v of crd.spec.versions)
        out.set(
          `${crd.spec.group}/${v.name}/${crd.spec.names.kind}`,
          ajv.compile(toJsonSchema(v.schema.openAPIV3Schema)),
        );
    }
  }
  return out;
}

describe('schemas', () => {
  const validators = crdValidators();

  it('the project CRDs reject unknown fields and wrong types (so the check below can fail)', () => {
    const canary = validators.get('flagger.app/v1beta1/Canary')!;
    expect(
      canary({
        spec: {
          targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'x' },
          analysis: { interval: '1m', threshold: 1, stepWeights: [5], bogus: 1 },
        },
      }),
    ).toBe(false);
    expect(
      canary({
        spec: {
          targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'x' },
          analysis: {
            interval: '1m',
            threshold: 1,
            stepWeights: [5],
            webhooks: [{ name: 'g', url: 'http://g/', metadata: { n: 1 } }],
          },
        },
      }),
    ).toBe(false);
    expect(
      canary({
        spec: {
          targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'x' },
          analysis: { interval: '1m', threshold: 1, stepWeights: [5], stepWeight: 5 },
        },
      }),
    ).toBe(false);
  });

  it('every custom resource of the example fleet and of both modes is valid against imports/crds', () => {
    const manifests = [...example(), ...synthesize(mixedFleet, { policies: policies() })];
    let checked = 0;
    for (const { path, object } of manifests) {
      const [group, version] = String(object['apiVersion']).includes('/')
        ? String(object['apiVersion']).split('/')
        : ['', String(object['apiVersion'])];
      if (['', 'apps', 'networking.k8s.io', 'autoscaling', 'policy'].includes(group!)) continue; // core kinds: typed by the k8s L1 bindings
      const validate = validators.get(`${group}/${version}/${object['kind']}`);
      expect(validate, `no CRD for ${path}`).toBeDefined();
      const ok = validate!(object);
      expect(ok, `${path}: ${JSON.stringify(validate!.errors)}`).toBe(true);
      checked++;
    }
    expect(checked).toBeGreaterThan(15);
  });
});
