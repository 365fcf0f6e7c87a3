/**
 * JSON schema of `agent-canary.yaml` (kind `ClusterConfig`, apiVersion
 * `agent-canary.dev/v1alpha1`): the cluster settings of the generator that are not about one
 * agent or one policy. Every field is optional; `defaults.ts` holds what a missing one means.
 * The `x-allowed` / `x-fix` / `x-problem` keywords make the errors (file:line: field: problem
 * (got ...; allowed: ...). Fix: ...) read like the fleet files' errors.
 */
import { loadTestCommandSchema } from '../traffic/load-test.js';
import { DNS1123_LABEL, DNS1123_SUBDOMAIN } from '../names/k8s-names.js';

const label = {
  type: 'string',
  pattern: DNS1123_LABEL,
  maxLength: 63,
  'x-problem': 'is not a DNS-1123 label',
  'x-allowed': "lowercase letters, digits and '-', at most 63 characters",
} as const;
const subdomain = {
  type: 'string',
  pattern: DNS1123_SUBDOMAIN,
  maxLength: 253,
  'x-problem': 'is not a DNS-1123 name',
  'x-allowed': "lowercase letters, digits, '-' and '.'",
} as const;
const httpUrl = {
  type: 'string',
  pattern: '^https?://[^\\s/]+\\S*$',
  'x-problem': 'is not an http(s) URL',
  'x-allowed': 'an http:// or https:// URL',
} as const;
const nonEmpty = {
  type: 'string',
  minLength: 1,
  pattern: '^\\S+$',
  'x-allowed': 'a non-empty string without spaces',
} as const;
const section = (properties: Record<string, unknown>) =>
  ({ type: 'object', additionalProperties: false, properties }) as const;

export const clusterConfigSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind'],
  properties: {
    apiVersion: { type: 'string', enum: ['agent-canary.dev/v1alpha1'] },
    kind: { type: 'string', enum: ['ClusterConfig'] },
    metadata: { type: 'object' },
    spec: section({
      repository: section({
        url: {
          type: 'string',
          pattern: '^(https?://|ssh://|git@)\\S+$',
          'x-problem': 'is not a Git repository URL',
          'x-allowed': 'https://host/org/repo.git, ssh://... or git@host:org/repo.git',
          'x-fix':
            'write the URL Argo CD clones, without credentials (Argo CD keeps those in its repository Secret)',
        },
        revision: nonEmpty,
        path: {
          type: 'string',
          pattern: '^[^/\\s][^\\s]*$',
          'x-allowed': 'a relative path inside the repository, e.g. dist',
        },
      }),
      argocd: section({ namespace: label, project: label, server: httpUrl }),
      flagger: section({
        namespace: label,
        loadTesterUrl: httpUrl,
        loadTestCommand: loadTestCommandSchema,
      }),
      prometheus: section({ namespace: label, address: httpUrl }),
      gate: section({
        namespace: label,
        image: {
          type: 'string',
          pattern:
            '^[a-z0-9][a-z0-9._/-]*(:[0-9]+)?(/[a-z0-9._-]+)*(:[A-Za-z0-9._-]+)?(@sha256:[a-f0-9]{64})?$',
          'x-problem': 'is not an image reference',
          'x-allowed': 'registry/repository:tag or registry/repository@sha256:digest',
          'x-fix': 'pin a tag or a digest of the image built from this repository (Dockerfile)',
        },
        replicas: {
          type: 'integer',
          minimum: 0,
          maximum: 1,
          'x-allowed': '0 (stopped) or 1',
          'x-fix':
            "leave replicas at 1: step-hold state lives in one process, and two gates would each count part of a canary's approvals",
        },
        stateClaim: subdomain,
        mlflow: section({ trackingUri: httpUrl, secret: subdomain }),
        canaryApi: section({ secret: subdomain }),
        allowedNamespaces: { type: 'array', items: label, uniqueItems: true },
      }),
      istio: section({
        gateways: {
          type: 'array',
          uniqueItems: true,
          items: {
            type: 'string',
            pattern: `^(${DNS1123_LABEL.slice(1, -1)}/)?${DNS1123_SUBDOMAIN.slice(1, -1)}$`,
            'x-problem': 'is not an Istio gateway reference',
            'x-allowed': '<namespace>/<gateway> or <gateway>',
          },
        },
      }),
    }),
  },
} as const;
