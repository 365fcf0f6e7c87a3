/**
 * The pod template shared by the stable and the canary workloads of an agent.
 *
 * Every default here is chosen on purpose, against cdk8s-plus' own where they fight Flagger or a
 * restricted cluster: `imagePullPolicy: IfNotPresent` (tags are pinned in fleet files), no startup
 * probe (readiness gates traffic; liveness restarts a wedged runtime), a restricted
 * securityContext with a writable `/tmp` emptyDir (Python runtimes write there), and explicit
 * ports `http` 8000 (REST) and `http-control` 8001 (Corail's control server, evaluation).
 */
import { k8s } from './_k8s.js';

export const HTTP_PORT = 8000;
export const CONTROL_PORT = 8001;
export const HTTP_PORT_NAME = 'http';
export const CONTROL_PORT_NAME = 'http-control';

/** Pod resources; strings are Kubernetes quantities. */
/**
 * The container securityContext every pod we emit runs with (Pod Security "restricted"): no root,
 * no writable root filesystem, no privilege escalation, no capabilities, the runtime's seccomp profile.
 * A function, not a shared object: each container gets its own copy to render.
 */
export function restrictedContainerSecurityContext(): k8s.SecurityContext {
  return {
    runAsNonRoot: true,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export interface AgentResources {
  /** @default '100m' */
  readonly cpuRequest?: string;
  /** @default '256Mi' */
  readonly memoryRequest?: string;
  /** No CPU limit by default: throttling an LLM runtime only adds latency. @default undefined */
  readonly cpuLimit?: string;
  /** @default '1Gi' */
  readonly memoryLimit?: string;
}

export interface PodTemplateOptions {
  readonly containerName: string;
  readonly image: string;
  readonly labels: Record<string, string>;
  readonly annotations?: Record<string, string>;
  /** ConfigMap loaded with envFrom, first. */
  readonly configMapName: string;
  /** Secrets loaded with envFrom after the ConfigMap (the agent's `envSecrets`). */
  readonly envSecrets: readonly string[];
  readonly resources?: AgentResources;
  /** HTTP path for probes; a TCP check on `http` when unset (Corail's health path is not part of its API). */
  readonly probePath?: string;
  /** UID/GID the pod runs as; fixed so `runAsNonRoot` holds for images that default to root. @default 10001 */
  readonly runAsUser?: number;
  readonly serviceAccountName?: string;
}

function probe(
  opts: PodTemplateOptions,
  initialDelaySeconds: number,
  periodSeconds: number,
  failureThreshold: number,
): k8s.Probe {
  const port = k8s.IntOrString.fromString(HTTP_PORT_NAME);
  const check = opts.probePath
    ? { httpGet: { path: opts.probePath, port } }
    : { tcpSocket: { port } };
  return { ...check, initialDelaySeconds, periodSeconds, timeoutSeconds: 2, failureThreshold };
}

export function agentPodTemplate(opts: PodTemplateOptions): k8s.PodTemplateSpec {
  const r = opts.resources ?? {};
  const requests: Record<string, k8s.Quantity> = {
    cpu: k8s.Quantity.fromString(r.cpuRequest ?? '100m'),
    memory: k8s.Quantity.fromString(r.memoryRequest ?? '256Mi'),
  };
  const limits: Record<string, k8s.Quantity> = {
    memory: k8s.Quantity.fromString(r.memoryLimit ?? '1Gi'),
  };
  if (r.cpuLimit) limits['cpu'] = k8s.Quantity.fromString(r.cpuLimit);
  const uid = opts.runAsUser ?? 10001;

  const envFrom: k8s.EnvFromSource[] = [{ configMapRef: { name: opts.configMapName } }];
  for (const s of opts.envSecrets) envFrom.push({ secretRef: { name: s } });

  const container: k8s.Container = {
    name: opts.containerName,
    image: opts.image,
    imagePullPolicy: 'IfNotPresent',
    ports: [
      { name: HTTP_PORT_NAME, containerPort: HTTP_PORT, protocol: 'TCP' },
      { name: CONTROL_PORT_NAME, containerPort: CONTROL_PORT, protocol: 'TCP' },
    ],
    envFrom,
    resources: { requests, limits },
    readinessProbe: probe(opts, 5, 10, 3),
    livenessProbe: probe(opts, 30, 20, 3),
    securityContext: restrictedContainerSecurityContext(),
    volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
  };

  const metadata: k8s.ObjectMeta =
    opts.annotations && Object.keys(opts.annotations).length
      ? { labels: opts.labels, annotations: opts.annotations }
      : { labels: opts.labels };
  return {
    metadata,
    spec: {
      ...(opts.serviceAccountName ? { serviceAccountName: opts.serviceAccountName } : {}),
      automountServiceAccountToken: false,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: uid,
        fsGroup: uid,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [container],
      volumes: [{ name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('256Mi') } }],
    },
  };
}
