/**
 * The Kubernetes L1 bindings that cdk8s-plus bundles (`import { k8s } from 'cdk8s-plus-33'`),
 * imported from their own module: the plus construct library itself is not used, and loading it
 * costs a few hundred milliseconds per CLI run (measured, docs/generator.md). This is the one
 * place to change when moving to another cdk8s-plus line.
 *
 * Loaded with `require`, not `import`: the file is 3.4 MB of CommonJS in a package without a
 * `type` field, which Node's ES module loader parses for its format and its export names before
 * the CommonJS loader compiles it once more (about 1.8 s against 1.1 s for `require` alone on
 * the loaded 2-core bench host; docs/validate.md). The types used by name are listed below.
 */
import { createRequire } from 'node:module';
import type * as Bindings from 'cdk8s-plus-33/lib/imports/k8s.js';

export const k8s = createRequire(import.meta.url)(
  'cdk8s-plus-33/lib/imports/k8s.js',
) as typeof Bindings;

/** The bindings' types, as `k8s.<Name>` in type positions (add a name when a construct needs it). */
// eslint-disable-next-line @typescript-eslint/no-namespace
export declare namespace k8s {
  export type Container = Bindings.Container;
  export type EnvFromSource = Bindings.EnvFromSource;
  export type IntOrString = Bindings.IntOrString;
  export type KubeConfigMap = Bindings.KubeConfigMap;
  export type KubeDeployment = Bindings.KubeDeployment;
  export type KubeHorizontalPodAutoscalerV2 = Bindings.KubeHorizontalPodAutoscalerV2;
  export type KubeNetworkPolicy = Bindings.KubeNetworkPolicy;
  export type KubePodDisruptionBudget = Bindings.KubePodDisruptionBudget;
  export type KubeService = Bindings.KubeService;
  export type ObjectMeta = Bindings.ObjectMeta;
  export type PodTemplateSpec = Bindings.PodTemplateSpec;
  export type Probe = Bindings.Probe;
  export type Quantity = Bindings.Quantity;
  export type SecurityContext = Bindings.SecurityContext;
  export type ServicePort = Bindings.ServicePort;
}
