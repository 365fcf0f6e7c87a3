/**
 * Flagger's webhook payload (`CanaryWebhookPayload`): `name`, `namespace`, `phase`, `checksum`,
 * `metadata` (string map, omitted when empty). A bad field is a FieldError naming it.
 */
import { FieldError } from './settings.js';
import { DNS1123_LABEL_RE as LABEL, DNS1123_SUBDOMAIN_RE as SUBDOMAIN } from '../names/k8s-names.js';

export interface FlaggerPayload {
  readonly name: string;
  readonly namespace: string;
  readonly phase: string;
  readonly checksum?: string;
  readonly metadata: Readonly<Record<string, string>>;
}


function field(name: string, problem: string, got: unknown, allowed: string, fix: string): FieldError {
  return new FieldError(name, `${name}: ${problem} (got ${JSON.stringify(got) ?? 'nothing'}; allowed: ${allowed}). Fix: ${fix}`, allowed);
}

export function parsePayload(body: unknown): FlaggerPayload {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw field('(body)', 'the body must be a JSON object', Array.isArray(body) ? 'an array' : body, '{name, namespace, phase, checksum, metadata}', 'send the payload Flagger sends.');
  }
  const o = body as Record<string, unknown>;
  if (typeof o.name !== 'string' || o.name.length > 253 || !SUBDOMAIN.test(o.name)) {
    throw field('name', o.name === undefined ? 'is required' : 'is not a Kubernetes object name', o.name, 'a DNS-1123 subdomain', 'send the Canary name.');
  }
  if (typeof o.namespace !== 'string' || o.namespace.length > 63 || !LABEL.test(o.namespace)) {
    throw field('namespace', o.namespace === undefined ? 'is required' : 'is not a namespace name', o.namespace, 'a DNS-1123 label', 'send the Canary namespace.');
  }
  if (typeof o.phase !== 'string' || o.phase === '') {
    throw field('phase', o.phase === undefined ? 'is required' : 'must be a non-empty string', o.phase, 'a Flagger phase such as Progressing', 'send the Canary phase.');
  }
  if (o.checksum !== undefined && (typeof o.checksum !== 'string' || o.checksum.length > 256)) {
    throw field('checksum', 'must be a string of at most 256 characters', o.checksum, 'a string', "send Flagger's revision checksum or leave it out.");
  }
  const metadata: Record<string, string> = {};
  if (o.metadata !== undefined && o.metadata !== null) {
    if (typeof o.metadata !== 'object' || Array.isArray(o.metadata)) {
      throw field('metadata', 'must be an object of strings', o.metadata, '{"key": "value", ...}', 'write the hook metadata as a string map.');
    }
    for (const [k, v] of Object.entries(o.metadata as Record<string, unknown>)) {
      if (typeof v !== 'string') throw field(`metadata.${k}`, 'must be a string (Flagger metadata is a string map)', v, 'a string', `quote the value, e.g. "${String(v)}".`);
      metadata[k] = v;
    }
  }
  return { name: o.name, namespace: o.namespace, phase: o.phase, checksum: o.checksum === '' ? undefined : (o.checksum as string | undefined), metadata };
}
