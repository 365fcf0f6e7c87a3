/**
 * agent-canary.yaml: errors name the file, the line and the field like fleet-file errors; every
 * setting reaches the objects it governs; synth warns while the repository URL is a placeholder.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, loadClusterConfig, parseClusterConfig } from '../../src/config/load.js';
import { DEFAULT_CLUSTER_CONFIG, isPlaceholderRepoUrl } from '../../src/config/defaults.js';
import { loadFleet } from '../../src/fleet/load.js';
import { loadPolicies } from '../../src/policy/load.js';
import { synthesize } from '../../src/synth/synthesize.js';
import { run } from '../../src/synth/command.js';
import { REPO_ROOT } from '../cli-entry.js';

const HEAD = 'apiVersion: agent-canary.dev/v1alpha1\nkind: ClusterConfig\n';

function configError(text: string): ConfigError {
  try {
    parseClusterConfig('agent-canary.yaml', text);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('agent-canary.yaml errors', () => {
  it('name the file, the line, the field, the value, what is allowed and the fix', () => {
    const e = configError(
      `${HEAD}spec:\n  gate:\n    namespace: agent-canary-system\n    image: "ghcr.io/x/agent canary:1"\n`,
    );
    expect(e.file).toBe('agent-canary.yaml');
    expect(e.line).toBe(6);
    expect(e.field).toBe('spec.gate.image');
    expect(e.message).toMatch(
      /^agent-canary\.yaml:6: spec\.gate\.image: is not an image reference \(got "ghcr\.io\/x\/agent canary:1"; allowed: registry\/repository:tag/,
    );
    expect(e.message).toMatch(/Fix: pin a tag or a digest/);
  });

  it('refuse two gate replicas, an unknown setting and a bad Istio gateway, each at its line', () => {
    const replicas = configError(`${HEAD}spec:\n  gate:\n    replicas: 2\n`);
    expect([replicas.line, replicas.field]).toEqual([5, 'spec.gate.replicas']);
    expect(replicas.allowed).toMatch(/0 \(stopped\) or 1/);
    const unknown = configError(`${HEAD}spec:\n  flagger:\n    namespce: flagger\n`);
    expect([unknown.line, unknown.field]).toEqual([5, 'spec.flagger.namespce']);
    expect(unknown.message).toMatch(/namespace/); // the nearest allowed key is suggested
    const gw = configError(
      `${HEAD}spec:\n  istio:\n    gateways:\n      - mesh\n      - Istio-System/Public\n`,
    );
    expect([gw.line, gw.field]).toEqual([7, 'spec.istio.gateways[1]']);
  });

  it('refuse a wrong kind, and a --config file that does not exist', () => {
    expect(configError('apiVersion: agent-canary.dev/v1alpha1\nkind: RolloutPolicy\n').field).toBe(
      'kind',
    );
    expect(() => loadClusterConfig(REPO_ROOT, join(REPO_ROOT, 'no-such.yaml'))).toThrow(
      ConfigError,
    );
  });

  it('fall back to the defaults when the project has no file; the example file states the defaults', () => {
    const empty = mkdtempSync(join(tmpdir(), 'ac-config-'));
    try {
      expect(loadClusterConfig(empty)).toBe(DEFAULT_CLUSTER_CONFIG);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
    const { file, ...example } = loadClusterConfig(REPO_ROOT);
    expect(file).toBe('agent-canary.yaml');
    expect(example).toEqual(DEFAULT_CLUSTER_CONFIG);
  });
});

describe('cluster settings reach the objects', () => {
  const fleet = loadFleet(join(REPO_ROOT, 'fleet'));
  const policies = loadPolicies(join(REPO_ROOT, 'policies'));
  const cluster = parseClusterConfig(
    'agent-canary.yaml',
    `${HEAD}spec:
  repository: { url: "git@git.acme.io:ops/agents.git", revision: release, path: deploy/dist }
  argocd: { namespace: gitops, project: agents }
  flagger: { namespace: flagger, loadTesterUrl: "http://loadtester.flagger/" }
  prometheus: { namespace: monitoring, address: "http://prometheus.monitoring:9090" }
  gate:
    namespace: canary-gate
    image: registry.acme.io/agent-canary:1.2.3
    replicas: 0
    stateClaim: gate-state
    mlflow: { trackingUri: "https://mlflow.acme.io", secret: mlflow-creds }
    canaryApi: { secret: canary-api }
    allowedNamespaces: [ci]
  istio: { gateways: [istio-system/public, mesh] }
`,
  );
  const objects = synthesize(fleet, { policies, cluster }).map(
    (m) => m.object as Record<string, any>,
  );
  const find = (kind: string, name: string, ns?: string) =>
    objects.find(
      (o) =>
        o['kind'] === kind &&
        o['metadata'].name === name &&
        (ns === undefined || o['metadata'].namespace === ns),
    )!;

  it('the gate: image, replicas, state claim, MLflow, canary API Secret and work volume, NetworkPolicy peers', () => {
    const dep = find('Deployment', 'agent-canary-gate', 'canary-gate');
    const pod = dep['spec'].template.spec;
    const c = pod.containers[0];
    expect(c.image).toBe('registry.acme.io/agent-canary:1.2.3');
    expect(dep['spec'].replicas).toBe(0);
    expect(pod.volumes).toContainEqual({
      name: 'state',
      persistentVolumeClaim: { claimName: 'gate-state' },
    });
    expect(c.env).toContainEqual({ name: 'MLFLOW_TRACKING_URI', value: 'https://mlflow.acme.io' });
    expect(c.envFrom).toEqual([
      { secretRef: { name: 'mlflow-creds', optional: true } },
      { secretRef: { name: 'canary-api', optional: false } },
    ]);
    expect(c.volumeMounts).toContainEqual({ name: 'work', mountPath: '/work' });
    const np = find('NetworkPolicy', 'agent-canary-gate', 'canary-gate');
    const peers = np['spec'].ingress[0].from.map(
      (f: any) => f.namespaceSelector.matchLabels['kubernetes.io/metadata.name'],
    );
    expect(peers).toEqual(['flagger', 'monitoring', 'ci']);
  });

  it('Argo CD: repository, revision, path and namespace', () => {
    const app = objects.find((o) => o['kind'] === 'Application')!;
    expect(app['metadata'].namespace).toBe('gitops');
    expect(app['spec'].source).toMatchObject({
      repoURL: 'git@git.acme.io:ops/agents.git',
      targetRevision: 'release',
    });
    expect(app['spec'].source.path).toMatch(/^deploy\/dist\//);
    expect(app['spec'].project).toBe('agents');
  });

  it('agents: Istio gateways on routes, the cluster Prometheus for policies that name none', () => {
    // support-bot names its own gateways in its fleet file (rollout.gateways wins over the cluster's).
    const vs = objects.find((o) => o['kind'] === 'VirtualService')!;
    expect(vs['spec'].gateways).toEqual(['istio-system/public-gateway', 'mesh']);
    const canary = objects.find((o) => o['kind'] === 'Canary' && o['spec'].provider === 'istio');
    expect(canary!['spec'].metricsServer).toBe('http://prometheus.monitoring:9090');
    expect(canary!['spec'].service.gateways).toEqual(['istio-system/public', 'mesh']);
    for (const mt of objects.filter((o) => o['kind'] === 'MetricTemplate'))
      expect(mt['spec'].provider.address).toBe('http://prometheus.monitoring:9090');
  });
});

describe('synth and the placeholder repository URL', () => {
  let dir: string;
  let err: string[];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ac-config-synth-'));
    for (const d of ['fleet', 'policies'])
      cpSync(join(REPO_ROOT, d), join(dir, d), { recursive: true });
    err = [];
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    vi.spyOn(console, 'error').mockImplementation((s: unknown) => {
      err.push(String(s));
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });
  const args = (config: string) => [
    '--fleet',
    join(dir, 'fleet'),
    '--policies',
    join(dir, 'policies'),
    '--out',
    join(dir, 'dist'),
    '--config',
    config,
  ];

  it('warns, naming the file and the field, while the URL is the example one; not once it is set', async () => {
    const config = join(dir, 'agent-canary.yaml');
    writeFileSync(config, readFileSync(join(REPO_ROOT, 'agent-canary.yaml')));
    expect(await run(args(config))).toBe(0);
    expect(err.join('\n')).toMatch(
      /warning: \S*agent-canary\.yaml: spec\.repository\.url is the placeholder https:\/\/github\.com\/example\/agent-canary\.git.*Fix: set spec\.repository\.url/,
    );
    err.length = 0;
    writeFileSync(
      config,
      `${HEAD}spec:\n  repository:\n    url: https://git.acme.io/ops/agents.git\n`,
    );
    expect(await run(args(config))).toBe(0);
    expect(err.join('\n')).not.toMatch(/placeholder/);
    expect(
      readFileSync(join(dir, 'dist', 'argocd', 'AppProject.agent-canary.yaml'), 'utf8'),
    ).toContain('https://git.acme.io/ops/agents.git');
  });

  it('exits 2 on a bad configuration, printing the located error, writing nothing', async () => {
    const config = join(dir, 'bad.yaml');
    writeFileSync(config, `${HEAD}spec:\n  gate:\n    replicas: 3\n`);
    expect(await run(args(config))).toBe(2);
    expect(err.join('\n')).toMatch(/bad\.yaml:5: spec\.gate\.replicas/);
    expect(() =>
      readFileSync(join(dir, 'dist', 'argocd', 'AppProject.agent-canary.yaml')),
    ).toThrow();
  });

  it('knows the placeholder forms', () => {
    expect(isPlaceholderRepoUrl('https://github.com/example/agent-canary.git')).toBe(true);
    expect(isPlaceholderRepoUrl('git@example.com:ops/agents.git')).toBe(true);
    expect(isPlaceholderRepoUrl('https://github.com/acme/agents.git')).toBe(false);
  });
});
