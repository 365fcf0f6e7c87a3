/**
 * API versions the Kubernetes API server no longer serves, with their replacements.
 *
 * Why: kubernetes-models keeps the schemas of removed versions (apps/v1beta1 Deployment still has
 * one), so schema validation alone passes manifests that every supported cluster refuses with
 * "no matches for kind". Source: the Kubernetes deprecated API migration guide
 * (kubernetes.io/docs/reference/using-api/deprecation-guide/); every removal up to v1.32.
 */

export interface RemovedApi {
  /** Kubernetes minor version that stopped serving it. */
  readonly removedIn: string;
  /** `group/version` to use instead, or undefined when the kind itself is gone. */
  readonly replacement?: string;
  /** What to do when there is no replacement. */
  readonly note?: string;
}

type Table = Record<string, Record<string, RemovedApi>>;

const r = (removedIn: string, replacement?: string, note?: string): RemovedApi => ({
  removedIn,
  replacement,
  note,
});

const workloads = (removedIn: string): Record<string, RemovedApi> => ({
  Deployment: r(removedIn, 'apps/v1'),
  DaemonSet: r(removedIn, 'apps/v1'),
  ReplicaSet: r(removedIn, 'apps/v1'),
  StatefulSet: r(removedIn, 'apps/v1'),
  ControllerRevision: r(removedIn, 'apps/v1'),
});

const all = (
  kinds: readonly string[],
  removedIn: string,
  replacement: string,
): Record<string, RemovedApi> =>
  Object.fromEntries(kinds.map((k) => [k, r(removedIn, replacement)]));

/** apiVersion -> kind -> removal. */
const REMOVED: Table = {
  'apps/v1beta1': workloads('1.16'),
  'apps/v1beta2': workloads('1.16'),
  'extensions/v1beta1': {
    ...workloads('1.16'),
    NetworkPolicy: r('1.16', 'networking.k8s.io/v1'),
    PodSecurityPolicy: r(
      '1.16',
      undefined,
      'PodSecurityPolicy is gone (removed in 1.25 everywhere): use Pod Security Admission labels on the namespace',
    ),
    Ingress: r('1.22', 'networking.k8s.io/v1'),
  },
  'networking.k8s.io/v1beta1': {
    Ingress: r('1.22', 'networking.k8s.io/v1'),
    IngressClass: r('1.22', 'networking.k8s.io/v1'),
  },
  'apiextensions.k8s.io/v1beta1': {
    CustomResourceDefinition: r('1.22', 'apiextensions.k8s.io/v1'),
  },
  'admissionregistration.k8s.io/v1beta1': all(
    ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'],
    '1.22',
    'admissionregistration.k8s.io/v1',
  ),
  'apiregistration.k8s.io/v1beta1': { APIService: r('1.22', 'apiregistration.k8s.io/v1') },
  'authentication.k8s.io/v1beta1': { TokenReview: r('1.22', 'authentication.k8s.io/v1') },
  'authorization.k8s.io/v1beta1': all(
    [
      'SubjectAccessReview',
      'LocalSubjectAccessReview',
      'SelfSubjectAccessReview',
      'SelfSubjectRulesReview',
    ],
    '1.22',
    'authorization.k8s.io/v1',
  ),
  'certificates.k8s.io/v1beta1': { CertificateSigningRequest: r('1.22', 'certificates.k8s.io/v1') },
  'coordination.k8s.io/v1beta1': { Lease: r('1.22', 'coordination.k8s.io/v1') },
  'rbac.authorization.k8s.io/v1beta1': all(
    ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'],
    '1.22',
    'rbac.authorization.k8s.io/v1',
  ),
  'rbac.authorization.k8s.io/v1alpha1': all(
    ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'],
    '1.22',
    'rbac.authorization.k8s.io/v1',
  ),
  'scheduling.k8s.io/v1beta1': { PriorityClass: r('1.22', 'scheduling.k8s.io/v1') },
  'scheduling.k8s.io/v1alpha1': { PriorityClass: r('1.22', 'scheduling.k8s.io/v1') },
  'storage.k8s.io/v1beta1': {
    ...all(
      ['CSIDriver', 'CSINode', 'StorageClass', 'VolumeAttachment'],
      '1.22',
      'storage.k8s.io/v1',
    ),
    CSIStorageCapacity: r('1.27', 'storage.k8s.io/v1'),
  },
  'batch/v1beta1': { CronJob: r('1.25', 'batch/v1') },
  'batch/v2alpha1': { CronJob: r('1.21', 'batch/v1') },
  'discovery.k8s.io/v1beta1': { EndpointSlice: r('1.25', 'discovery.k8s.io/v1') },
  'events.k8s.io/v1beta1': { Event: r('1.25', 'events.k8s.io/v1') },
  'autoscaling/v2beta1': { HorizontalPodAutoscaler: r('1.25', 'autoscaling/v2') },
  'autoscaling/v2beta2': { HorizontalPodAutoscaler: r('1.26', 'autoscaling/v2') },
  'policy/v1beta1': {
    PodDisruptionBudget: r('1.25', 'policy/v1'),
    PodSecurityPolicy: r(
      '1.25',
      undefined,
      'PodSecurityPolicy is gone: use Pod Security Admission labels on the namespace',
    ),
  },
  'node.k8s.io/v1beta1': { RuntimeClass: r('1.25', 'node.k8s.io/v1') },
  'flowcontrol.apiserver.k8s.io/v1beta1': all(
    ['FlowSchema', 'PriorityLevelConfiguration'],
    '1.26',
    'flowcontrol.apiserver.k8s.io/v1',
  ),
  'flowcontrol.apiserver.k8s.io/v1beta2': all(
    ['FlowSchema', 'PriorityLevelConfiguration'],
    '1.29',
    'flowcontrol.apiserver.k8s.io/v1',
  ),
  'flowcontrol.apiserver.k8s.io/v1beta3': all(
    ['FlowSchema', 'PriorityLevelConfiguration'],
    '1.32',
    'flowcontrol.apiserver.k8s.io/v1',
  ),
};

/** The removal of `apiVersion`/`kind`, or undefined when the API server still serves it. */
export function removedApi(apiVersion: string, kind: string): RemovedApi | undefined {
  const kinds = REMOVED[apiVersion];
  return kinds && Object.prototype.hasOwnProperty.call(kinds, kind) ? kinds[kind] : undefined;
}
