/**
 * JSON schema of a fleet file: the Recif `Agent` resource (agents.recif.dev/v1, the Helm CRD's
 * field list, which is the most complete of the three upstream copies) plus agent-canary's
 * top-level `rollout` key.
 *
 * Written from the documented API, stricter than the CRD on purpose: unknown fields are errors
 * (the apiserver would prune them silently), `canary.weight` is bounded 0..100 (the Helm CRD leaves
 * it unbounded, the operator CRD bounds it) and names are DNS-1123 labels. `x-allowed` and `x-fix`
 * are annotations the error formatter reads.
 */
import { policySpecSchema } from '../policy/schema.js';
import { DNS1123_LABEL, DNS1123_SUBDOMAIN } from '../names/k8s-names.js';

export { DNS1123_LABEL, DNS1123_SUBDOMAIN };

/** Hostnames may start with a `*.` wildcard. */
const HOSTNAME = '^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
/** Kubernetes label values: at most 63 characters, alphanumeric at both ends, '-', '_', '.' inside. */
const LABEL_VALUE = '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$';

const str = { type: 'string' } as const;
const strList = { type: 'array', items: { type: 'string' } } as const;
const dnsLabel = {
  type: 'string',
  pattern: DNS1123_LABEL,
  maxLength: 63,
  'x-problem': 'is not a DNS-1123 label',
  'x-allowed': "a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters",
  'x-fix': "use lowercase letters, digits and '-' only, e.g. support-bot",
} as const;

/** Challenger overrides (Recif `CanarySpec`). */
export const canarySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['enabled', 'weight'],
  properties: {
    enabled: { type: 'boolean' },
    weight: {
      type: 'integer',
      minimum: 0,
      maximum: 100,
      'x-allowed': 'integer 0..100 (percent of traffic for the challenger)',
      'x-fix': 'give a whole percentage between 0 and 100, e.g. 10',
    },
    image: str,
    modelType: str,
    modelId: str,
    systemPrompt: str,
    skills: strList,
    tools: strList,
    version: str,
  },
} as const;

export const agentSpecSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'framework'],
  properties: {
    name: { type: 'string', minLength: 1, 'x-problem': 'must not be empty', 'x-allowed': 'a non-empty display name', 'x-fix': 'write the display name, e.g. name: Support Bot' },
    framework: {
      type: 'string',
      enum: ['corail', 'adk', 'langchain', 'crewai', 'autogen', 'custom'],
      'x-fix': 'use one of the allowed frameworks (corail is the Recif runtime)',
    },
    description: str,
    strategy: str,
    channel: str,
    modelType: str,
    modelId: str,
    systemPrompt: str,
    backgroundModel: str,
    storage: { type: 'string', enum: ['memory', 'postgresql'] },
    databaseUrl: str,
    tools: strList,
    knowledgeBases: strList,
    skills: strList,
    envSecrets: strList,
    credentialSecret: str,
    gcpServiceAccount: str,
    image: str,
    replicas: { type: 'integer', minimum: 0, maximum: 10 },
    suggestionsProvider: str,
    suggestions: str,
    evalSampleRate: { type: 'integer', minimum: 0, maximum: 100, 'x-allowed': 'integer 0..100 (percent of traces auto-evaluated; 0 disables)' },
    judgeModel: str,
    version: { type: 'string', 'x-fix': 'quote the version so YAML keeps it a string, e.g. version: "3"' },
    // `null` is what the Recif API writes on promote/rollback; it means "no canary".
    canary: { ...canarySchema, type: ['object', 'null'], 'x-allowed': 'a mapping with enabled, weight, image, modelType, modelId, systemPrompt, skills, tools, version (or null)' },
  },
} as const;

export const gatewayRefSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: {
      type: 'string',
      pattern: DNS1123_SUBDOMAIN,
      maxLength: 253,
      'x-problem': 'is not a Gateway name (a DNS-1123 subdomain)',
      'x-allowed': "lowercase letters, digits, '-' and '.', e.g. internal-gateway",
    },
    namespace: dnsLabel,
    sectionName: {
      type: 'string',
      pattern: DNS1123_SUBDOMAIN,
      maxLength: 253,
      'x-problem': 'is not a listener name',
      'x-allowed': "the name of a listener of the Gateway (lowercase letters, digits, '-' and '.'), e.g. https",
    },
  },
} as const;

export const rolloutSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    mode: {
      type: 'string',
      enum: ['manual', 'progressive'],
      'x-fix': 'pick one mode: manual (Git owns the weight) or progressive (Flagger owns the weight)',
    },
    routing: { type: 'string', enum: ['istio', 'gateway-api'] },
    policy: {
      type: 'string',
      pattern: DNS1123_LABEL,
      'x-problem': 'is not a policy name (a DNS-1123 label)',
      'x-allowed': 'the name of a policy file in policies/ (a DNS-1123 label), e.g. default',
    },
    // Checked here already (so `loadFleet` reports a misspelt override at its line); the
    // cross-field rules run when the policy is resolved (src/policy/load.ts).
    overrides: policySpecSchema,
    gatewayRefs: { type: 'array', minItems: 1, items: gatewayRefSchema, 'x-allowed': 'a list of {name, namespace?, sectionName?}' },
    hosts: {
      type: 'array',
      items: {
        type: 'string',
        pattern: HOSTNAME,
        maxLength: 253,
        'x-problem': 'is not a hostname',
        'x-allowed': 'a lowercase DNS name, optionally starting with *. (e.g. support.example.com)',
      },
    },
    loadTest: { type: 'boolean' },
  },
} as const;

export const fleetFileSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { type: 'string', const: 'agents.recif.dev/v1' },
    kind: { type: 'string', const: 'Agent' },
    metadata: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'namespace'],
      properties: {
        name: dnsLabel,
        namespace: dnsLabel,
        labels: {
          type: 'object',
          additionalProperties: {
            type: 'string',
            pattern: LABEL_VALUE,
            maxLength: 63,
            'x-problem': 'is not a valid label value',
            'x-allowed': "a string of at most 63 letters, digits, '-', '_' or '.', alphanumeric at both ends (quote numbers)",
          },
          'x-allowed': 'a mapping of string keys to string values (quote numbers)',
        },
        annotations: { type: 'object', additionalProperties: { type: 'string' }, 'x-allowed': 'a mapping of string keys to string values (quote numbers)' },
      },
    },
    spec: agentSpecSchema,
    rollout: rolloutSchema,
  },
} as const;
