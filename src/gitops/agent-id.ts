/**
 * Agent ids. An agent is `<namespace>/<name>` (the CLI and the fleet's `FleetAgent.id`); in a URL
 * path segment the API also accepts `<namespace>.<name>` (a DNS-1123 label has no dot, so the split
 * is unambiguous) and a bare `<name>` when that slug exists in exactly one namespace.
 *
 * Both parts must be DNS-1123 labels, which is what keeps every id inside the fleet directory: a
 * label has no `/`, no `.`, no `..`, no NUL and no leading `-`, so `fleet/<ns>/<name>.yaml` can
 * never name a file outside `fleet/`. The check runs before any path is built.
 */
import { GitOpsError } from './errors.js';
import { DNS1123_LABEL_RE as DNS1123_LABEL } from '../names/k8s-names.js';

export interface AgentRef {
  readonly namespace: string;
  readonly name: string;
}

/** `namespace/name`, the canonical id. */
export function formatAgentId(ref: AgentRef): string {
  return `${ref.namespace}/${ref.name}`;
}

export function isDns1123Label(value: string): boolean {
  return value.length <= 63 && DNS1123_LABEL.test(value);
}

function checkLabel(value: string, what: string, id: string): void {
  if (!isDns1123Label(value)) {
    throw new GitOpsError(
      'bad-request',
      `agent id '${id}': ${what} '${value}' is not a DNS-1123 label (lowercase letters, digits and '-', ` +
        `starting and ending with a letter or digit, at most 63 characters). Fix: use the agent's metadata.${what}.`,
      { field: 'id', value: id, allowed: '<namespace>/<name> of DNS-1123 labels' },
    );
  }
}

/**
 * Parses a full id: `namespace/name` or `namespace.name`. Returns `undefined` for a bare slug
 * (no separator), which only the API resolves (see `resolveAgentRef`).
 */
export function parseAgentId(id: string): AgentRef | undefined {
  const sep = id.includes('/') ? '/' : id.includes('.') ? '.' : undefined;
  if (sep === undefined) {
    checkLabel(id, 'name', id);
    return undefined;
  }
  const parts = id.split(sep);
  if (parts.length !== 2) {
    throw new GitOpsError(
      'bad-request',
      `agent id '${id}' has ${parts.length - 1} '${sep}' separators; allowed: exactly one, as in 'team-a/support-bot'.`,
      { field: 'id', value: id, allowed: '<namespace>/<name> or <namespace>.<name>' },
    );
  }
  const [namespace, name] = parts as [string, string];
  checkLabel(namespace, 'namespace', id);
  checkLabel(name, 'name', id);
  return { namespace, name };
}

/** Parses an id that must be complete (`namespace/name`), as the CLI requires. */
export function parseFullAgentId(id: string): AgentRef {
  const ref = parseAgentId(id);
  if (!ref) {
    throw new GitOpsError(
      'bad-request',
      `agent id '${id}' has no namespace. Fix: write it as <namespace>/<name>, e.g. 'team-a/${id}'.`,
      {
        field: 'id',
        value: id,
        allowed: '<namespace>/<name>',
      },
    );
  }
  return ref;
}
