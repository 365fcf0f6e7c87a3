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

/** HTTP header names as Istio matches them: lowercase. */
const HEADER_NAME = '^[a-z0-9]([-a-z0-9_]*[a-z0-9])?$';
/** Cookie names and values: RFC 6265 token / cookie-octets, no separators. */
const COOKIE_TOKEN = "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$";
const COOKIE_VALUE = "^[A-Za-z0-9!#$%&'()*+./:<=>?@^_`{|}~-]+$";

const headerName = {
  type: 'string',
  pattern: HEADER_NAME,
  maxLength: 256,
  'x-problem': 'is not a lowercase HTTP header name',
  'x-allowed': "lowercase letters, digits, '-' and '_' (Istio matches lowercase header names), e.g. x-conversation-id",
  'x-fix': 'write the header name in lowercase, e.g. x-conversation-id',
} as const;
const cookieName = {
  type: 'string',
  pattern: COOKIE_TOKEN,
  maxLength: 256,
  'x-problem': 'is not a cookie name',
  'x-allowed': "letters, digits and !#$%&'*+.^_`|~- (no spaces, '=', ';' or ',')",
  'x-fix': 'use a plain name, e.g. agent-track',
} as const;

export const sessionAffinitySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    cookie: cookieName,
    header: headerName,
    maxAge: {
      type: 'integer',
      minimum: 60,
      maximum: 99999,
      'x-allowed': 'seconds, 60..99999 (the cookie lifetime / session timeout)',
      'x-fix': 'give the conversation length in seconds, e.g. 86400',
    },
  },
  'x-allowed': 'a mapping with exactly one of cookie or header, and optionally maxAge',
} as const;

export const cohortSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    header: headerName,
    cookie: cookieName,
    values: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'string',
        minLength: 1,
        maxLength: 256,
        pattern: '^[^\\u0000-\\u001f\\u007f]+$',
        'x-problem': 'is not a header value',
        'x-allowed': 'a non-empty string without control characters',
      },
      'x-allowed': 'a non-empty list of exact values (any one matches)',
    },
    regex: { type: 'string', minLength: 1, maxLength: 1024, 'x-allowed': 'an RE2 regular expression the whole value must match' },
  },
  'x-allowed': 'a mapping with one of header or cookie, and one of values or regex',
} as const;

export { COOKIE_VALUE };

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
    strategy: {
      type: 'string',
      enum: ['canary', 'ab', 'blue-green'],
      'x-fix': 'canary (a percentage, the policy steps), ab (only the cohorts reach the challenger) or blue-green (0 % then 100 %)',
    },
    iterations: {
      type: 'integer',
      minimum: 1,
      maximum: 1000,
      'x-allowed': 'integer 1..1000 (analysis checks before promotion, progressive ab and blue-green)',
    },
    sessionAffinity: sessionAffinitySchema,
    cohorts: { type: 'array', minItems: 1, maxItems: 16, items: cohortSchema, 'x-allowed': 'a list of 1..16 {header|cookie, values|regex}' },
    gateways: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'string',
        pattern: '^(mesh|([a-z0-9]([-a-z0-9]*[a-z0-9])?/)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?)$',
        maxLength: 317,
        'x-problem': 'is not an Istio gateway reference',
        'x-allowed': '<namespace>/<gateway>, <gateway> (same namespace) or mesh (in-mesh callers)',
        'x-fix': 'write e.g. istio-system/public-gateway, and add mesh to keep in-mesh routing',
      },
    },
    autoscaling: {
      type: 'object',
      additionalProperties: false,
      required: ['minReplicas', 'maxReplicas'],
      properties: {
        minReplicas: { type: 'integer', minimum: 1, maximum: 100, 'x-allowed': 'integer 1..100' },
        maxReplicas: { type: 'integer', minimum: 1, maximum: 100, 'x-allowed': 'integer 1..100, at least minReplicas' },
        cpuUtilization: { type: 'integer', minimum: 1, maximum: 100, 'x-allowed': 'percent of the CPU request, 1..100' },
      },
      'x-allowed': 'a mapping {minReplicas, maxReplicas, cpuUtilization?}',
    },
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
