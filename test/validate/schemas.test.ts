/**
 * Schema sources: user CRDs (--crd) converted from openAPIV3Schema with the API server's meaning,
 * kubeconform-layout schema directories (--schemas), and the core kinds from kubernetes-models.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validatePaths } from '../../src/validate/index.js';
import { convertSchema } from '../../src/validate/schema/crd-to-json-schema.js';
import { coreModule } from '../../src/validate/schema/core.js';

const dir = join(import.meta.dirname, '..', 'fixtures', 'validate');
const base = { policies: new Map(), fleet: [] } as const;
const summary = (r: Awaited<ReturnType<typeof validatePaths>>) =>
  r.findings.map((f) => `${f.ruleId}@${f.line} ${f.path}`);

describe('--crd', () => {
  it('validates custom resources: int-or-string, preserve-unknown-fields, embedded resources, nullable, maps', async () => {
    const report = await validatePaths([join(dir, 'widgets.yaml')], {
      ...base,
      crds: [join(dir, 'crds')],
    });
    expect(report.results.map((r) => r.status)).toEqual(['valid', 'invalid']);
    expect(summary(report)).toEqual([
      'schema@19 spec.size',
      'schema@21 spec.color',
      'schema@22 spec.sizee',
      'schema@23 spec.labels.a',
    ]);
    expect(report.findings[2]!.message).toContain(
      'unknown field "sizee" (allowed: size, port, color, extra, template, labels)',
    );
  });

  it('accepts a CRD file as well as a directory', async () => {
    const report = await validatePaths([join(dir, 'widgets.yaml')], {
      ...base,
      crds: [join(dir, 'crds', 'widget-crd.yaml')],
    });
    expect(report.results.map((r) => r.status)).toEqual(['valid', 'invalid']);
  });

  it('without the CRD the kind has no schema (exit 2)', async () => {
    const report = await validatePaths([join(dir, 'widgets.yaml')], base);
    expect(report.findings.map((f) => f.ruleId)).toEqual(['missing-schema', 'missing-schema']);
    expect(report.exitCode).toBe(2);
  });

  it('reports an unreadable CRD path as could-not-validate', async () => {
    const report = await validatePaths([join(dir, 'widgets.yaml')], {
      ...base,
      crds: [join(dir, 'nope')],
    });
    expect(report.findings[0]).toMatchObject({ ruleId: 'schema-source' });
    expect(report.exitCode).toBe(2);
  });
});

describe('--schemas', () => {
  it('reads {group}/{kind}_{version}.json', async () => {
    const report = await validatePaths([join(dir, 'gadgets.yaml')], {
      ...base,
      schemaDirs: [join(dir, 'schemas')],
    });
    expect(report.results.map((r) => r.status)).toEqual(['valid', 'invalid']);
    expect(summary(report)).toEqual(['schema@11 spec.mode']);
    expect(report.findings[0]!.message).toContain(
      '"sideways" is not allowed (allowed: "on", "off")',
    );
  });
});

describe('CRD conversion', () => {
  it('makes unknown fields errors except under preserve-unknown-fields', () => {
    expect(convertSchema({ type: 'object', properties: { a: { type: 'string' } } })).toMatchObject({
      additionalProperties: false,
    });
    expect(
      convertSchema({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true }),
    ).not.toHaveProperty('additionalProperties');
  });
  it('turns int-or-string into anyOf integer|string', () => {
    expect(convertSchema({ 'x-kubernetes-int-or-string': true, type: 'string' })).toEqual({
      anyOf: [{ type: 'integer' }, { type: 'string' }],
    });
  });
  it('maps OpenAPI boolean exclusiveMinimum to draft-07', () => {
    expect(convertSchema({ type: 'integer', minimum: 0, exclusiveMinimum: true })).toEqual({
      type: 'integer',
      exclusiveMinimum: 0,
    });
  });
});

describe('core kinds (kubernetes-models)', () => {
  it('maps apiVersion/kind to the package module', () => {
    expect(coreModule('apps/v1', 'Deployment')).toBe('kubernetes-models/apps/v1/Deployment');
    expect(coreModule('v1', 'Service')).toBe('kubernetes-models/v1/Service');
    expect(coreModule('../../x', 'Deployment')).toBeUndefined();
  });
  it('does not take a nested type for a kind', async () => {
    const report = await validatePaths(['-'], {
      ...base,
      stdin: 'apiVersion: apps/v1\nkind: DeploymentSpec\nmetadata: {name: x}\n',
    });
    expect(report.findings.map((f) => f.ruleId)).toEqual(['missing-schema']);
  });
});
