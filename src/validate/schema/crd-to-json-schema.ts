/**
 * CustomResourceDefinition `openAPIV3Schema` -> JSON Schema that ajv validates with the API
 * server's meaning:
 * - unknown fields are errors (the API server prunes them silently: a typo would vanish), except
 *   under `x-kubernetes-preserve-unknown-fields: true`;
 * - `x-kubernetes-int-or-string: true` accepts an integer or a string;
 * - `x-kubernetes-embedded-resource: true` objects may carry apiVersion, kind and metadata;
 * - `nullable: true` accepts null;
 * - the root `metadata` is ObjectMeta (the CRD only says `type: object` there);
 * - `apiVersion` and `kind` must name this CRD's group/version and kind.
 * Descriptions, defaults, CEL rules and list-type markers are dropped: they do not change what a
 * manifest may contain (CEL rules would need a CEL engine; left out, see docs/validate.md).
 */

type Json = Record<string, unknown>;

const COPY = [
  'type',
  'enum',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
  'required',
] as const;

/** ObjectMeta as far as a manifest author writes it; other ObjectMeta fields pass through. */
export const OBJECT_META_SCHEMA: Json = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 253 },
    generateName: { type: 'string' },
    namespace: { type: 'string', maxLength: 63 },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
    finalizers: { type: 'array', items: { type: 'string' } },
    ownerReferences: { type: 'array', items: { type: 'object' } },
  },
};

/**
 * `format: duration` as the API server checks it (kube-openapi's strfmt): a Go duration
 * (`time.ParseDuration`: `5m`, `1h30m`, `1.5s`, `-2h`, `0`) or its own `<n><unit>` sequence
 * (`3d`, `1w`, `10 min`). Not ISO 8601, which ajv-formats' `duration` checks (`PT5M`). strfmt also
 * takes any text holding one such sequence and upper-case units; those are refused here.
 */
export const K8S_DURATION_PATTERN =
  '^(?:[-+]?(?:0|(?:(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h))+)' +
  '|(?:[0-9]+ *(?:ns|nano|us|\u00b5s|micro|ms|milli|s|sec|m|min|h|hr|hour|d|day|w|wk|week) *)+)$';

export function convertSchema(s: Json, strict = true): Json {
  const out: Json = {};
  for (const k of COPY) if (s[k] !== undefined) out[k] = s[k];
  if (out.format === 'duration') {
    delete out.format;
    if (out.pattern === undefined) out.pattern = K8S_DURATION_PATTERN;
    else out.allOf = [{ pattern: K8S_DURATION_PATTERN }];
  }
  // exclusiveMinimum in OpenAPI v3.0 is a boolean modifier; draft-07 wants a number.
  if (typeof s.exclusiveMinimum === 'boolean') {
    delete out.exclusiveMinimum;
    if (s.exclusiveMinimum && typeof s.minimum === 'number') {
      out.exclusiveMinimum = s.minimum;
      delete out.minimum;
    }
  }
  if (typeof s.exclusiveMaximum === 'boolean') {
    delete out.exclusiveMaximum;
    if (s.exclusiveMaximum && typeof s.maximum === 'number') {
      out.exclusiveMaximum = s.maximum;
      delete out.maximum;
    }
  }
  if (s['x-kubernetes-int-or-string'] === true) {
    delete out.type;
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  const props = s.properties as Record<string, Json> | undefined;
  if (props) {
    out.properties = Object.fromEntries(
      Object.entries(props).map(([k, v]) => [k, convertSchema(v, strict)]),
    );
  }
  if (s['x-kubernetes-embedded-resource'] === true) {
    const p = (out.properties ??= {}) as Record<string, Json>;
    p.apiVersion ??= { type: 'string' };
    p.kind ??= { type: 'string' };
    p.metadata ??= { type: 'object' };
  }
  if (s.additionalProperties !== undefined) {
    out.additionalProperties =
      typeof s.additionalProperties === 'object'
        ? convertSchema(s.additionalProperties as Json, strict)
        : s.additionalProperties;
  } else if (
    strict &&
    !preserve &&
    (s.type === 'object' || props) &&
    !s['x-kubernetes-embedded-resource']
  ) {
    out.additionalProperties = false;
  }
  if (s.items && typeof s.items === 'object') out.items = convertSchema(s.items as Json, strict);
  for (const k of ['oneOf', 'anyOf', 'allOf'] as const) {
    // Structural schemas may only use these to add constraints (required, ...), not fields.
    if (Array.isArray(s[k]))
      out[k] = [
        ...((out[k] as Json[] | undefined) ?? []),
        ...(s[k] as Json[]).map((b) => convertSchema(b, false)),
      ];
  }
  if (s.not && typeof s.not === 'object') out.not = convertSchema(s.not as Json, false);
  if (s.nullable === true) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  }
  return out;
}

/** Root schema for one served version of a CRD. */
export function crdVersionSchema(
  group: string,
  version: string,
  kind: string,
  openAPIV3Schema: Json | undefined,
): Json {
  const root = convertSchema(
    openAPIV3Schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
  );
  const props = (root.properties ??= {}) as Record<string, Json>;
  props.apiVersion = { type: 'string', enum: [`${group}/${version}`] };
  props.kind = { type: 'string', enum: [kind] };
  props.metadata = OBJECT_META_SCHEMA;
  root.type = 'object';
  const required = new Set<string>((root.required as string[] | undefined) ?? []);
  for (const r of ['apiVersion', 'kind', 'metadata']) required.add(r);
  root.required = [...required];
  return root;
}

export interface CrdEntry {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly schema: Json;
  /** Where the CRD came from, for messages. */
  readonly source: string;
}

/** Every served version of a CRD object; [] when the object is not a CRD. */
export function crdEntries(obj: Record<string, unknown>, source: string): CrdEntry[] {
  if (
    obj.kind !== 'CustomResourceDefinition' ||
    typeof obj.apiVersion !== 'string' ||
    !obj.apiVersion.startsWith('apiextensions.k8s.io/')
  )
    return [];
  const spec = (obj.spec ?? {}) as Json;
  const group = String(spec.group ?? '');
  const kind = String((spec.names as Json | undefined)?.kind ?? '');
  const versions = (spec.versions as Json[] | undefined) ?? [];
  const shared = (spec.validation as Json | undefined)?.openAPIV3Schema as Json | undefined; // v1beta1 CRDs
  return versions
    .filter((v) => v.served !== false)
    .map((v) => {
      const version = String(v.name);
      const openAPI =
        ((v.schema as Json | undefined)?.openAPIV3Schema as Json | undefined) ?? shared;
      return {
        group,
        version,
        kind,
        schema: crdVersionSchema(group, version, kind, openAPI),
        source,
      };
    });
}
