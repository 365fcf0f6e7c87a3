/**
 * The quality-gate server's own objects: Deployment and Service `agent-canary-gate` and a
 * NetworkPolicy that admits only the Flagger namespace (the gate answers promotion questions; no
 * other workload should be able to probe or flood it). The Service listens on port 80 so the
 * policy's default gateUrl `http://agent-canary-gate.agent-canary-system/api/v1/webhooks/flagger`
 * needs no port. MLflow credentials come from an optional Secret (`MLFLOW_TRACKING_*` keys).
 */
import { ConstructInputError } from './_errors.js';
import { Construct } from 'constructs';
import { k8s } from './_k8s.js';
import { MANAGED_BY, SyncWave, syncWave } from './_labels.js';

export interface GateServerProps {
  /** @default 'agent-canary-system' */
  readonly namespace?: string;
  /** @default 'agent-canary-gate' */
  readonly name?: string;
  /** Gate image; pinned on purpose. @default 'ghcr.io/agent-canary/agent-canary:0.1.0' */
  readonly image?: string;
  /** Container arguments (the image's entrypoint is the `agent-canary` CLI). @default ['gate', '--host', '0.0.0.0', '--port', '8080'] */
  readonly args?: readonly string[];
  /** Port the server listens on in the container. @default 8080 */
  readonly containerPort?: number;
  /** Namespace Flagger runs in; the only one admitted. @default 'flagger-system' */
  readonly flaggerNamespace?: string;
  /** Extra namespaces admitted (e.g. the CI runner's, for `validate --gate`). @default [] */
  readonly extraAllowedNamespaces?: readonly string[];
  /** MLflow tracking server; empty = the gate's embedded default. @default 'http://mlflow.mlflow-system.svc.cluster.local:5000' */
  readonly mlflowTrackingUri?: string;
  /** Secret with MLFLOW_TRACKING_USERNAME/PASSWORD/TOKEN; optional. @default 'agent-canary-gate-mlflow' */
  readonly mlflowSecret?: string;
  /** @default 2 (the verdict cache is per replica; two keep webhooks answered during a rollout) */
  readonly replicas?: number;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export class GateServer extends Construct {
  readonly deployment: k8s.KubeDeployment;
  readonly service: k8s.KubeService;
  readonly networkPolicy: k8s.KubeNetworkPolicy;
  readonly namespace: string;
  readonly name: string;

  constructor(scope: Construct, id: string, props: GateServerProps = {}) {
    super(scope, id);
    const namespace = (this.namespace = props.namespace ?? 'agent-canary-system');
    const name = (this.name = props.name ?? 'agent-canary-gate');
    const flaggerNs = props.flaggerNamespace ?? 'flagger-system';
    for (const [prop, v] of [['namespace', namespace], ['name', name], ['flaggerNamespace', flaggerNs], ...(props.extraAllowedNamespaces ?? []).map((n) => ['extraAllowedNamespaces', n])] as const) {
      if (!DNS_LABEL.test(v) || v.length > 63) throw new ConstructInputError(`GateServer: props.${prop} '${v}' is not a DNS-1123 label (lowercase letters, digits, '-')`);
    }
    const port = props.containerPort ?? 8080;
    const replicas = props.replicas ?? 2;
    const labels = {
      app: name,
      'app.kubernetes.io/name': name,
      'app.kubernetes.io/instance': name,
      'app.kubernetes.io/component': 'quality-gate',
      'app.kubernetes.io/part-of': 'agent-canary',
      'app.kubernetes.io/managed-by': MANAGED_BY,
    };
    const selector = { app: name };
    const probe = (path: string, initialDelaySeconds: number): k8s.Probe => ({
      httpGet: { path, port: k8s.IntOrString.fromString('http') },
      initialDelaySeconds,
      periodSeconds: 10,
      timeoutSeconds: 2,
      failureThreshold: 3,
    });

    this.deployment = new k8s.KubeDeployment(this, 'Deployment', {
      metadata: { name, namespace, labels, annotations: syncWave(SyncWave.WORKLOAD) },
      spec: {
        replicas,
        revisionHistoryLimit: 3,
        selector: { matchLabels: selector },
        template: {
          // The gate serves Prometheus metrics on its own port (/metrics).
          metadata: { labels, annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(port), 'prometheus.io/path': '/metrics' } },
          spec: {
            automountServiceAccountToken: false,
            securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [{
              name: 'gate',
              image: props.image ?? 'ghcr.io/agent-canary/agent-canary:0.1.0',
              imagePullPolicy: 'IfNotPresent',
              args: [...(props.args ?? ['gate', '--host', '0.0.0.0', '--port', String(port)])],
              ports: [{ name: 'http', containerPort: port, protocol: 'TCP' }],
              env: [{ name: 'MLFLOW_TRACKING_URI', value: props.mlflowTrackingUri ?? 'http://mlflow.mlflow-system.svc.cluster.local:5000' }],
              envFrom: [{ secretRef: { name: props.mlflowSecret ?? 'agent-canary-gate-mlflow', optional: true } }],
              resources: {
                requests: { cpu: k8s.Quantity.fromString('50m'), memory: k8s.Quantity.fromString('64Mi') },
                limits: { memory: k8s.Quantity.fromString('256Mi') },
              },
              // /healthz, not /readyz, for readiness too: when MLflow is down the gate must still
              // answer Flagger (with the policy's onUnavailable), not vanish from the Service.
              readinessProbe: probe('/healthz', 2),
              livenessProbe: probe('/healthz', 10),
              securityContext: {
                runAsNonRoot: true,
                readOnlyRootFilesystem: true,
                allowPrivilegeEscalation: false,
                privileged: false,
                capabilities: { drop: ['ALL'] },
                seccompProfile: { type: 'RuntimeDefault' },
              },
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            }],
            volumes: [{ name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } }],
          },
        },
      },
    });

    this.service = new k8s.KubeService(this, 'Service', {
      metadata: { name, namespace, labels, annotations: syncWave(SyncWave.WORKLOAD) },
      spec: { type: 'ClusterIP', selector, ports: [{ name: 'http', port: 80, targetPort: k8s.IntOrString.fromString('http'), protocol: 'TCP' }] },
    });

    const allowed = [flaggerNs, ...(props.extraAllowedNamespaces ?? [])];
    this.networkPolicy = new k8s.KubeNetworkPolicy(this, 'NetworkPolicy', {
      metadata: { name, namespace, labels, annotations: syncWave(SyncWave.CONFIG) },
      spec: {
        podSelector: { matchLabels: selector },
        policyTypes: ['Ingress'],
        ingress: [{
          from: [...new Set(allowed)].map((ns) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } })),
          ports: [{ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) }],
        }],
      },
    });
  }
}
