/**
 * JSON schema of a rollout policy file (`policies/<name>.yaml`, kind `RolloutPolicy`,
 * apiVersion `agent-canary.dev/v1alpha1`).
 *
 * Every spec field is optional: missing fields take the defaults of `defaults.ts`, so a policy
 * states only what differs from the release plan. The same `policySpecSchema` validates the
 * per-agent `rollout.overrides` of a fleet file. Cross-field rules (increasing steps, timeout
 * below interval, abort bounds looser than the gates) live in `rules.ts`.
 */
import { loadTestCommandSchema } from '../traffic/load-test.js';
import { DNS1123_LABEL } from '../names/k8s-names.js';

/** Flagger durations: seconds or minutes only (Flagger rejects `1h`). */
export const DURATION = '^[0-9]+(s|m)$';

const duration = {
  type: 'string',
  pattern: DURATION,
  'x-problem': 'is not a Flagger duration',
  'x-allowed':
    'a whole number of seconds or minutes, e.g. 30s or 5m (Flagger rejects h; write 60m for an hour)',
  'x-fix': 'write the duration in s or m, e.g. 10m',
} as const;

const percent = {
  type: 'number',
  minimum: 0,
  maximum: 100,
  'x-allowed': 'a percentage 0..100',
} as const;
const millis = { type: 'number', minimum: 0, 'x-allowed': 'milliseconds >= 0' } as const;
const min = (schema: object) =>
  ({ type: 'object', additionalProperties: false, properties: { min: schema } }) as const;
const max = (schema: object) =>
  ({ type: 'object', additionalProperties: false, properties: { max: schema } }) as const;
const url = {
  type: 'string',
  pattern: '^https?://[^\\s/]+',
  'x-problem': 'is not an http(s) URL',
  'x-allowed': 'an http:// or https:// URL',
} as const;

export const policyStepSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['weight', 'hold'],
  properties: {
    weight: {
      type: 'integer',
      minimum: 1,
      maximum: 99,
      'x-allowed': 'integer 1..99 (100 is promotion, after the last step)',
    },
    hold: duration,
  },
} as const;

export const gateMetricSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['key'],
  properties: {
    key: {
      type: 'string',
      minLength: 1,
      pattern: '^[^<>=@,*]+$',
      'x-allowed': 'an MLflow metric key, e.g. safety/mean (no < > = @ , *)',
    },
    direction: { type: 'string', enum: ['higher', 'lower'] },
    threshold: { type: 'number' },
    maxRegression: { type: 'number', minimum: 0, 'x-allowed': 'a number >= 0' },
    regression: { type: 'string', enum: ['relative', 'absolute'] },
  },
} as const;

export const gateSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    mode: { type: 'string', enum: ['strict', 'recif'] },
    passThreshold: { type: 'number' },
    metrics: { type: 'array', items: gateMetricSchema },
    maxRegression: {
      type: 'number',
      minimum: 0,
      'x-allowed': 'a number >= 0 (a fraction of stable with regression: relative)',
    },
    regression: { type: 'string', enum: ['relative', 'absolute'] },
    alpha: {
      type: 'number',
      exclusiveMinimum: 0,
      maximum: 0.5,
      'x-allowed': 'a significance level in (0, 0.5], e.g. 0.05',
    },
    modelName: {
      type: 'string',
      minLength: 1,
      'x-allowed': 'a LoggedModel name; {name}, {namespace} and {version} are replaced',
    },
    minSamples: { type: 'integer', minimum: 0 },
    onUnavailable: { type: 'string', enum: ['approve', 'reject'] },
    versionTag: { type: 'string', minLength: 1 },
    experiment: {
      type: 'string',
      minLength: 1,
      'x-allowed': 'an MLflow experiment name; {name} and {namespace} are replaced',
    },
    cacheTtl: duration,
    timeout: duration,
    token: { type: 'string', minLength: 1 },
  },
} as const;

export const policySpecSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    steps: {
      type: 'array',
      minItems: 1,
      items: policyStepSchema,
      'x-allowed': 'a list of {weight, hold}, weights increasing within 1..99',
    },
    analysis: {
      type: 'object',
      additionalProperties: false,
      properties: {
        interval: duration,
        threshold: {
          type: 'integer',
          minimum: 1,
          'x-allowed': 'integer >= 1 (failed checks before rollback)',
        },
      },
    },
    metrics: {
      type: 'object',
      additionalProperties: false,
      properties: {
        successRate: min(percent),
        errorRate: max(percent),
        latencyP99: max(millis),
        latencyP50: max(millis),
        vsPrimary: {
          type: 'object',
          additionalProperties: false,
          properties: {
            errorRate: {
              type: 'object',
              additionalProperties: false,
              required: ['factor'],
              properties: {
                factor: {
                  type: 'number',
                  minimum: 1,
                  'x-allowed': 'a factor >= 1 (canary 5xx % <= factor x primary)',
                },
                floor: {
                  type: 'number',
                  minimum: 0,
                  maximum: 100,
                  'x-allowed': 'a percentage 0..100',
                },
              },
            },
            latencyP99: {
              type: 'object',
              additionalProperties: false,
              required: ['factor'],
              properties: {
                factor: {
                  type: 'number',
                  minimum: 1,
                  'x-allowed': 'a factor >= 1 (canary p99 <= factor x primary + marginMs)',
                },
                marginMs: { type: 'number', minimum: 0, 'x-allowed': 'milliseconds >= 0' },
              },
            },
          },
        },
      },
    },
    abort: {
      type: 'object',
      additionalProperties: false,
      properties: {
        successRate: min(percent),
        errorRate: max(percent),
        latencyP99: max(millis),
        latencyP50: max(millis),
      },
    },
    loadTest: {
      type: 'object',
      additionalProperties: false,
      properties: {
        command: loadTestCommandSchema,
        timeout: duration,
      },
    },
    gate: gateSchema,
    gateUrl: url,
    prometheus: url,
    allowDirectStableChange: { type: 'boolean' },
  },
} as const;

export const policyFileSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata'],
  properties: {
    apiVersion: { type: 'string', const: 'agent-canary.dev/v1alpha1' },
    kind: { type: 'string', const: 'RolloutPolicy' },
    metadata: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: {
        name: {
          type: 'string',
          pattern: DNS1123_LABEL,
          maxLength: 63,
          'x-problem': 'is not a DNS-1123 label',
          'x-allowed':
            "a DNS-1123 label (lowercase letters, digits and '-'), equal to the file name",
        },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        annotations: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
    spec: policySpecSchema,
  },
} as const;
