/** Paths into a YAML or JSON document, as segments and as the `spec.tools[0]` text errors show. */

/** A path segment: a mapping key or a sequence index. */
export type PathSegment = string | number;

/** Renders `['spec', 'tools', 0]` as `spec.tools[0]`. */
export function fieldPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else out += out ? `.${s}` : s;
  }
  return out;
}

/** Parses an ajv instancePath (`/spec/tools/0`) into segments. */
export function pointerSegments(pointer: string): PathSegment[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}
