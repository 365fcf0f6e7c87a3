/**
 * The quality-gate server's own objects: Deployment and Service `agent-canary-gate` and a
 * NetworkPolicy that admits only the Flagger namespace (the gate answers promotion questions; no
 * other workload should be able to probe or flood it). The Service listens on port 80 so the
 * policy's default gateUrl `http://agent-canary-gate.agent-canary-system/api/v1/webhooks/flagger`
 * needs no port. MLflow credentials come from an optional Secret (`MLFLOW_TRACKING_*` keys).
 *
 * Step holds keep state (approval counts per revision) in a file on a volume, passed with
 * `--state-file`: an emptyDir survives container restarts, not rescheduling (set `stateClaim` to a
 * PersistentVolumeClaim for that). One replica with the Recreate strategy: the state has one
 * writer, and two gates answering the same canary would each count only part of its approvals.
 *
 * With `canaryApiSecret` the same server also serves the canary HTTP API: the Secret's
 * AGENT_CANARY_REPO (the GitOps repository URL, with push credentials) and AGENT_CANARY_API_TOKEN
 * reach the container as environment, and the clone lives on an emptyDir at /work (the image's
 * working directory; the root filesystem is read-only). The NetworkPolicy admits Flagger,
 * Prometheus (scraping /metrics) and the extra namespaces (CI, people calling the API).
 */
import { ConstructInputError } from './_errors.js';
import { Construct } from 'constructs';
import { k8s } from './_k8s.js';
import { restrictedContainerSecurityContext } from './_pod.js';
import { MANAGED_BY, SyncWave, syncWave } from './_labels.js';
import { DNS1123_LABEL_RE as DNS_LABEL } from '../src/names/k8s-names.js';

export interface GateServerProps {
  /** @default 'agent-canary-system' */
  readonly namespace?: string;
  /** @default 'agent-canary-gate' */
  readonly name?: string;
  /** Gate image; pinned on purpose. @default 'ghcr.io/agent-canary/agent-canary:0.1.0' */
  readonly image?: string;
  /**
   * Container arguments (the image's entrypoint is the `agent-canary` CLI). Custom arguments should
   * keep `--state-file /var/lib/agent-canary-gate/step-holds.json` (GATE_STATE_FILE).
   * @default ['gate', '--host', '0.0.0.0', '--port', '8080', '--state-file', GATE_STATE_FILE]
   */
  readonly args?: readonly string[];
  /** Port the server listens on in the container. @default 8080 */
  readonly containerPort?: number;
  /** Namespace Flagger runs in; the only one admitted. @default 'flagger-system' */
  readonly flaggerNamespace?: string;
  /** Namespace Prometheus scrapes from (the pod's prometheus.io annotations). @default none admitted */
  readonly prometheusNamespace?: string;
  /**
   * Secret with AGENT_CANARY_REPO and AGENT_CANARY_API_TOKEN: serve the canary HTTP API for that
   * repository. @default none (the API answers 503: no repository)
   */
  readonly canaryApiSecret?: string;
  /** Extra namespaces admitted (e.g. the CI runner's, for `validate --gate`). @default [] */
  readonly extraAllowedNamespaces?: readonly string[];
  /** MLflow tracking server; empty = the gate's embedded default. @default 'http://mlflow.mlflow-system.svc.cluster.local:5000' */
  readonly mlflowTrackingUri?: string;
  /** Secret with MLFLOW_TRACKING_USERNAME/PASSWORD/TOKEN; optional. @default 'agent-canary-gate-mlflow' */
  readonly mlflowSecret?: string;
  /**
   * Secret whose key `secret` is the gate's webhook secret (AGENT_CANARY_GATE_SECRET, the value
   * `synth` derived the Canaries' tokens from); optional, so a fleet generated without it runs.
   * @default 'agent-canary-gate-webhook'
   */
  readonly webhookSecret?: string;
  /**
   * 1, or 0 to stop the gate. More replicas would split a canary's step-hold approvals between
   * processes that do not share state, so each could approve a step early.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * PersistentVolumeClaim (ReadWriteOnce is enough: one replica, Recreate) holding the step-hold
   * state; it then survives rescheduling. The claim itself is not created here.
   * @default none: an emptyDir (survives container restarts; a new Pod starts with the lost-state rule)
   */
  readonly stateClaim?: string;
}

/** Where the state volume is mounted and the file the gate keeps there. */
export const GATE_STATE_DIR = '/var/lib/agent-canary-gate';
export const GATE_STATE_FILE = `${GATE_STATE_DIR}/step-holds.json`;
/** The image's working directory, where the canary API keeps its clone (Dockerfile WORKDIR). */
export const GATE_WORK_DIR = '/work';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

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
    const promNs = props.prometheusNamespace;
    for (const [prop, v] of [
      ['namespace', namespace],
      ['name', name],
      ['flaggerNamespace', flaggerNs],
      ...(promNs !== undefined ? [['prometheusNamespace', promNs] as const] : []),
      ...(props.extraAllowedNamespaces ?? []).map((n) => ['extraAllowedNamespaces', n]),
    ] as const) {
      if (!DNS_LABEL.test(v) || v.length > 63)
        throw new ConstructInputError(
          `GateServer: props.${prop} '${v}' is not a DNS-1123 label (lowercase letters, digits, '-')`,
        );
    }
    const port = props.containerPort ?? 8080;
    const replicas = props.replicas ?? 1;
    if (replicas !== 0 && replicas !== 1) {
      throw new ConstructInputError(
        `GateServer: props.replicas ${replicas} is not allowed (allowed: 0, 1). Step-hold state lives in one process; two replicas would each count part of a canary's approvals and could approve a step before its hold. Fix: leave replicas unset (1).`,
      );
    }
    if (
      props.canaryApiSecret !== undefined &&
      (!DNS_SUBDOMAIN.test(props.canaryApiSecret) || props.canaryApiSecret.length > 253)
    ) {
      throw new ConstructInputError(
        `GateServer: props.canaryApiSecret '${props.canaryApiSecret}' is not a valid Secret name (lowercase letters, digits, '-', '.'). Fix: use the Secret's metadata.name.`,
      );
    }
    const api = props.canaryApiSecret;
    if (
      props.stateClaim !== undefined &&
      (!DNS_SUBDOMAIN.test(props.stateClaim) || props.stateClaim.length > 253)
    ) {
      throw new ConstructInputError(
        `GateServer: props.stateClaim '${props.stateClaim}' is not a valid PersistentVolumeClaim name (lowercase letters, digits, '-', '.'). Fix: use the claim's metadata.name.`,
      );
    }
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
        // Never two gates at once (a rolling update would overlap them): one writer of the state.
        strategy: { type: 'Recreate' },
        selector: { matchLabels: selector },
        template: {
          // The gate serves Prometheus metrics on its own port (/metrics).
          metadata: {
            labels,
            annotations: {
              'prometheus.io/scrape': 'true',
              'prometheus.io/port': String(port),
              'prometheus.io/path': '/metrics',
            },
          },
          spec: {
            automountServiceAccountToken: false,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 10001,
              runAsGroup: 10001,
              fsGroup: 10001,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            containers: [
              {
                name: 'gate',
                image: props.image ?? 'ghcr.io/agent-canary/agent-canary:0.1.0',
                imagePullPolicy: 'IfNotPresent',
                args: [
                  ...(props.args ?? [
                    'gate',
                    '--host',
                    '0.0.0.0',
                    '--port',
                    String(port),
                    '--state-file',
                    GATE_STATE_FILE,
                  ]),
                ],
                ports: [{ name: 'http', containerPort: port, protocol: 'TCP' }],
                env: [
                  {
                    name: 'MLFLOW_TRACKING_URI',
                    value:
                      props.mlflowTrackingUri ??
                      'http://mlflow.mlflow-system.svc.cluster.local:5000',
                  },
                  // From a Secret, never a literal: the manifests live in Git.
                  {
                    name: 'AGENT_CANARY_GATE_SECRET',
                    valueFrom: {
                      secretKeyRef: {
                        name: props.webhookSecret ?? 'agent-canary-gate-webhook',
                        key: 'secret',
                        optional: true,
                      },
                    },
                  },
                ],
                envFrom: [
                  {
                    secretRef: {
                      name: props.mlflowSecret ?? 'agent-canary-gate-mlflow',
                      optional: true,
                    },
                  },
                  // Not optional: a gate told to serve the API must not start without its repository.
                  ...(api !== undefined ? [{ secretRef: { name: api, optional: false } }] : []),
                ],
                resources: {
                  requests: {
                    cpu: k8s.Quantity.fromString('50m'),
                    memory: k8s.Quantity.fromString('64Mi'),
                  },
                  limits: { memory: k8s.Quantity.fromString('256Mi') },
                },
                // /healthz, not /readyz, for readiness too: when MLflow is down the gate must still
                // answer Flagger (with the policy's onUnavailable), not vanish from the Service.
                readinessProbe: probe('/healthz', 2),
                livenessProbe: probe('/healthz', 10),
                securityContext: restrictedContainerSecurityContext(),
                volumeMounts: [
                  { name: 'tmp', mountPath: '/tmp' },
                  { name: 'state', mountPath: GATE_STATE_DIR },
                  ...(api !== undefined ? [{ name: 'work', mountPath: GATE_WORK_DIR }] : []),
                ],
              },
            ],
            volumes: [
              { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } },
              props.stateClaim !== undefined
                ? { name: 'state', persistentVolumeClaim: { claimName: props.stateClaim } }
                : { name: 'state', emptyDir: { sizeLimit: k8s.Quantity.fromString('16Mi') } },
              ...(api !== undefined
                ? [{ name: 'work', emptyDir: { sizeLimit: k8s.Quantity.fromString('1Gi') } }]
                : []),
            ],
          },
        },
      },
    });

    this.service = new k8s.KubeService(this, 'Service', {
      metadata: { name, namespace, labels, annotations: syncWave(SyncWave.WORKLOAD) },
      spec: {
        type: 'ClusterIP',
        selector,
        ports: [
          {
            name: 'http',
            port: 80,
            targetPort: k8s.IntOrString.fromString('http'),
            protocol: 'TCP',
          },
        ],
      },
    });

    const allowed = [
      flaggerNs,
      ...(promNs !== undefined ? [promNs] : []),
      ...(props.extraAllowedNamespaces ?? []),
    ];
    this.networkPolicy = new k8s.KubeNetworkPolicy(this, 'NetworkPolicy', {
      metadata: { name, namespace, labels, annotations: syncWave(SyncWave.CONFIG) },
      spec: {
        podSelector: { matchLabels: selector },
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: [...new Set(allowed)].map((ns) => ({
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
            })),
            ports: [{ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) }],
          },
        ],
      },
    });
  }
}
