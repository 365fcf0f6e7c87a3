/**
 * The schema stage for one object, the same in the main thread and in a validation worker
 * (load/worker.ts): skipped kinds, a missing apiVersion or kind, removed API versions, a kind
 * without a schema, then the schema's own findings. Returns the object's findings so far (the
 * loader's notes first), its status when it is already decided, and whether the canary rules see it.
 */
import type { ResourceResult, Finding, Resource } from '../types.js';
import { objectRef } from '../types.js';
import type { SchemaRegistry } from './registry.js';
import { schemaFindings } from './findings.js';
import { removedApi } from './removed-apis.js';

export interface SchemaStageOptions {
  readonly skipKinds?: readonly string[];
  readonly skipMissingSchemas?: boolean;
}

export interface SchemaChecked {
  readonly list: Finding[];
  /** 'skipped' or 'error' when decided here; else the rules and findings decide. */
  readonly status?: ResourceResult['status'];
  /** Whether the rules stage sees the object (it had a schema and was checked). */
  readonly checked: boolean;
}

export async function checkSchema(
  r: Resource,
  registry: SchemaRegistry,
  skip: ReadonlySet<string>,
  opts: SchemaStageOptions,
): Promise<SchemaChecked> {
  const list: Finding[] = [...(r.notes ?? [])];
  const { apiVersion, kind } = r.object;
  if (typeof kind === 'string' && skip.has(kind))
    return { list, status: 'skipped', checked: false };
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || !apiVersion || !kind) {
    const missing = [
      typeof apiVersion !== 'string' || !apiVersion ? 'apiVersion' : '',
      typeof kind !== 'string' || !kind ? 'kind' : '',
    ].filter(Boolean);
    list.push({
      ruleId: 'missing-kind',
      severity: 'error',
      file: r.file,
      line: r.line,
      object: objectRef(r.object),
      path: r.basePath,
      message: `object has no ${missing.join(' and ')}`,
      fix: 'every Kubernetes object needs apiVersion and kind',
    });
    return { list, status: 'error', checked: false };
  }
  const removed = removedApi(apiVersion, kind);
  if (removed) {
    // The cluster answers "no matches for kind" whatever the schema says: invalid, not checked.
    list.push({
      ruleId: 'removed-api',
      severity: 'error',
      file: r.file,
      line: r.locate(['apiVersion']),
      object: objectRef(r.object),
      path: r.basePath ? `${r.basePath}.apiVersion` : 'apiVersion',
      message: `${kind} ${apiVersion} is no longer served (removed in Kubernetes ${removed.removedIn})${removed.replacement ? `; served as ${removed.replacement}` : ''}`,
      fix: removed.replacement
        ? `use apiVersion: ${removed.replacement} (and the fields that version requires)`
        : (removed.note ?? 'remove the object'),
    });
    return { list, checked: false };
  }
  const peeked = registry.peek(apiVersion, kind);
  const check = peeked === null ? await registry.lookup(apiVersion, kind) : peeked;
  if (!check) {
    if (opts.skipMissingSchemas) return { list, status: 'skipped', checked: false };
    list.push({
      ruleId: 'missing-schema',
      severity: 'error',
      file: r.file,
      line: r.line,
      object: objectRef(r.object),
      path: r.basePath,
      message: `no schema for ${kind} (${apiVersion})`,
      fix: 'pass its CRD with --crd or a schema directory with --schemas, or use --skip-missing-schemas',
    });
    return { list, status: 'error', checked: false };
  }
  const { errors, unknown } = check.validate(r.object);
  if (errors.length || unknown.length)
    list.push(...schemaFindings(r, check.source, errors, unknown));
  return { list, checked: true };
}
