/**
 * The SARIF 2.1.0 JSON schema (OASIS, as published with `sarif-2.1.0-rtm.5.json`), from the npm
 * package `@microsoft/jest-sarif` (a devDependency pinned to one version: no network at test
 * time), compiled with ajv for draft-04, the draft that schema is written in.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Ajv, ValidateFunction } from 'ajv';
import ajvDraft04Module from 'ajv-draft-04';
import addFormatsModule from 'ajv-formats';

// Both are CommonJS modules whose `default` is the export (the same interop as the validator's).
const AjvDraft04 = ((ajvDraft04Module as unknown as { default?: unknown }).default ??
  ajvDraft04Module) as new (opts: object) => Ajv;
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as (ajv: Ajv) => Ajv;

const require = createRequire(import.meta.url);
const SCHEMA_FILE = require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');

let validate: ValidateFunction | undefined;

/** The schema errors of `log` (empty when it is valid SARIF 2.1.0). */
export function sarifSchemaErrors(log: unknown): string[] {
  if (!validate) {
    // `unicodeRegExp: false`: JSON-schema patterns are ECMA-262 without the `u` flag, and the
    // schema's `language` pattern has a stray `]` that only the `u` flag rejects.
    const ajv = new AjvDraft04({ allErrors: true, strict: false, unicodeRegExp: false });
    addFormats(ajv);
    validate = ajv.compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as object);
  }
  if (validate(log)) return [];
  return (validate.errors ?? []).map(
    (e) => `${e.instancePath || '(root)'}: ${e.message ?? 'invalid'}`,
  );
}
