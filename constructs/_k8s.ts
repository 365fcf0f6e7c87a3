/**
 * The Kubernetes L1 bindings that cdk8s-plus bundles (`import { k8s } from 'cdk8s-plus-33'`),
 * imported from their own module: the plus construct library itself is not used, and loading it
 * costs a few hundred milliseconds per CLI run (measured, docs/generator.md). This is the one line
 * to change when moving to another cdk8s-plus line.
 */
export * as k8s from 'cdk8s-plus-33/lib/imports/k8s.js';
