/** What a setting missing from `agent-canary.yaml` (or a missing file) means. */
import type { ClusterConfig } from './types.js';

/** The example repository URL: synth warns while the configuration still names it. */
export const PLACEHOLDER_REPO_URL = 'https://github.com/example/agent-canary.git';

/** hey at 2 requests per second for one metric window: enough samples for the checks, cheap for an LLM. */
export const DEFAULT_LOAD_TEST_COMMAND = 'hey -z {window} -q 2 -c 1 {url}';

export const CONFIG_FILE = 'agent-canary.yaml';

export const DEFAULT_CLUSTER_CONFIG: ClusterConfig = {
  repository: { url: PLACEHOLDER_REPO_URL, revision: 'main', path: 'dist' },
  argocd: {
    namespace: 'argocd',
    project: 'agent-canary',
    server: 'https://kubernetes.default.svc',
  },
  flagger: {
    namespace: 'flagger-system',
    loadTesterUrl: 'http://flagger-loadtester.flagger-system/',
    loadTestCommand: DEFAULT_LOAD_TEST_COMMAND,
  },
  prometheus: { namespace: 'istio-system', address: 'http://prometheus.istio-system:9090' },
  gate: {
    namespace: 'agent-canary-system',
    image: 'ghcr.io/agent-canary/agent-canary:0.1.0',
    replicas: 1,
    mlflow: {
      trackingUri: 'http://mlflow.mlflow-system.svc.cluster.local:5000',
      secret: 'agent-canary-gate-mlflow',
    },
    allowedNamespaces: [],
  },
  istio: { gateways: [] },
};

/** True for a repository URL nobody can sync from: the example's, or an example.com/.org host. */
export function isPlaceholderRepoUrl(url: string): boolean {
  return (
    url === PLACEHOLDER_REPO_URL ||
    /^(https?:\/\/|ssh:\/\/|git@)([^@/]*@)?(www\.)?example\.(com|org|net)[:/]/i.test(url) ||
    /github\.com[:/]example\//i.test(url)
  );
}
