/**
 * Flagger's webhook payload (`CanaryWebhookPayload`): `name`, `namespace`, `phase`, `checksum`,
 * `metadata` (string map, omitted when empty). A bad field is a FieldError naming it.
 */
import { FieldError } from './settings.js';
import {
  DNS1123_LABEL_RE as LABEL,
  DNS1123_SUBDOMAIN_RE as SUBDOMAIN,
} from '../names/k8s-names.js';

export interface FlaggerPayload {
  readonly name: string;
  readonly namespace: string;
  readonly phase: string;
  readonly checksum?: string;
  readonly metadata: Readonly<Record<string, string>>;
}

function field(
  name: string,
  problem: string,
  got: unknown,
  allowed: string,
  fix: string,
): FieldError {
  return new FieldError(
    name,
    `${name}: ${problem} (got ${JSON.stringify(got) ?? 'nothing'}; allowed: ${allowed}). Fix: ${fix}`,
    allowed,
  );
}

/**
 * Bounds on the metadata a hook may send: the generator writes about a dozen short keys; these
 * limits keep the work of one request small whatever it carries (templates, metric lists).
 */
export const MAX_METADATA_KEYS = 64;
export const MAX_METADATA_KEY_LENGTH = 63;
export const MAX_METADATA_VALUE_LENGTH = 4096;

export function parsePayload(body: unknown): FlaggerPayload {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw field(
      '(body)',
      'the body must be a JSON object',
      Array.isArray(body) ? 'an array' : body,
      '{name, namespace, phase, checksum, metadata}',
      'send the payload Flagger sends.',
    );
  }
  const o = body as Record<string, unknown>;
  if (typeof o.name !== 'string' || o.name.length > 253 || !SUBDOMAIN.test(o.name)) {
    throw field(
      'name',
      o.name === undefined ? 'is required' : 'is not a Kubernetes object name',
      o.name,
      'a DNS-1123 subdomain',
      'send the Canary name.',
    );
  }
  if (typeof o.namespace !== 'string' || o.namespace.length > 63 || !LABEL.test(o.namespace)) {
    throw field(
      'namespace',
      o.namespace === undefined ? 'is required' : 'is not a namespace name',
      o.namespace,
      'a DNS-1123 label',
      'send the Canary namespace.',
    );
  }
  // "" is what Flagger sends before the Canary has a status (events of a new Canary).
  if (typeof o.phase !== 'string' || o.phase.length > 64) {
    throw field(
      'phase',
      o.phase === undefined ? 'is required' : 'must be a string of at most 64 characters',
      typeof o.phase === 'string' ? o.phase.slice(0, 64) : o.phase,
      'a Flagger phase such as Progressing, or ""',
      'send the Canary phase.',
    );
  }
  if (o.checksum !== undefined && (typeof o.checksum !== 'string' || o.checksum.length > 256)) {
    throw field(
      'checksum',
      'must be a string of at most 256 characters',
      o.checksum,
      'a string',
      "send Flagger's revision checksum or leave it out.",
    );
  }
  const metadata: Record<string, string> = {};
  if (o.metadata !== undefined && o.metadata !== null) {
    if (typeof o.metadata !== 'object' || Array.isArray(o.metadata)) {
      throw field(
        'metadata',
        'must be an object of strings',
        o.metadata,
        '{"key": "value", ...}',
        'write the hook metadata as a string map.',
      );
    }
    const entries = Object.entries(o.metadata as Record<string, unknown>);
    if (entries.length > MAX_METADATA_KEYS) {
      throw field(
        'metadata',
        `has ${entries.length} keys`,
        `${entries.length} keys`,
        `at most ${MAX_METADATA_KEYS} keys`,
        'send the metadata the generator writes.',
      );
    }
    for (const [k, v] of entries) {
      if (k.length > MAX_METADATA_KEY_LENGTH) {
        throw field(
          `metadata.${k.slice(0, 40)}...`,
          'is not a metadata key',
          `${k.length} characters`,
          `keys of at most ${MAX_METADATA_KEY_LENGTH} characters`,
          'use the documented keys (docs/gate.md).',
        );
      }
      if (typeof v !== 'string') {
        const shown =
          typeof v === 'object' && v !== null ? (Array.isArray(v) ? 'an array' : 'an object') : v;
        throw field(
          `metadata.${k}`,
          'must be a string (Flagger metadata is a string map)',
          shown,
          'a string',
          `quote the value, e.g. "${String(shown).slice(0, 40)}".`,
        );
      }
      if (v.length > MAX_METADATA_VALUE_LENGTH) {
        throw field(
          `metadata.${k}`,
          `is ${v.length} characters long`,
          `${v.slice(0, 40)}...`,
          `at most ${MAX_METADATA_VALUE_LENGTH} characters`,
          'send the value the generator writes.',
        );
      }
      metadata[k] = v;
    }
  }
  return {
    name: o.name,
    namespace: o.namespace,
    phase: o.phase,
    checksum: o.checksum === '' ? undefined : (o.checksum as string | undefined),
    metadata,
  };
}
