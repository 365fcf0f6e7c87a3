/**
 * Loading `agent-canary.yaml`, the cluster settings beside cdk8s.yaml. The file is optional: a
 * project without one gets DEFAULT_CLUSTER_CONFIG. A bad file throws ConfigError naming the file,
 * the line, the field, the value, what is allowed and the fix, like a bad fleet file.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { cachedValidator } from '../package/compiled-schema.js';
import { LocatedError } from '../errors/located.js';
import { parseSingleMapping } from '../yaml/single-document.js';
import { schemaErrors } from '../yaml/schema-errors.js';
import { CONFIG_FILE, DEFAULT_CLUSTER_CONFIG } from './defaults.js';
import { clusterConfigSchema } from './schema.js';
import type { ClusterConfig } from './types.js';

/** A cluster configuration file that cannot be used. */
export class ConfigError extends LocatedError {}

/** Built on the first file read, through the compiled-schema cache (src/package/compiled-schema.ts). */
let validate: ValidateFunction | undefined;

type Spec = { [K in keyof ClusterConfig]?: Record<string, unknown> };

/** Parses the text of a configuration file; `file` is the path shown in errors. */
export function parseClusterConfig(file: string, text: string): ClusterConfig {
  const { source, data } = parseSingleMapping(file, text, ConfigError, 'ClusterConfig');
  validate ??= cachedValidator({
    name: 'config-schema',
    schema: clusterConfigSchema,
    options: { allErrors: true, verbose: true, strict: true },
    keywords: ['x-allowed', 'x-fix', 'x-problem'],
  });
  if (!validate(data))
    throw schemaErrors(source, (validate.errors ?? []) as ErrorObject[], ConfigError)[0]!;
  const spec = (data['spec'] ?? {}) as Spec;
  const d = DEFAULT_CLUSTER_CONFIG;
  const gate = (spec.gate ?? {}) as Partial<ClusterConfig['gate']> & {
    mlflow?: Partial<ClusterConfig['gate']['mlflow']>;
  };
  return {
    file,
    repository: { ...d.repository, ...spec.repository },
    argocd: { ...d.argocd, ...spec.argocd },
    flagger: { ...d.flagger, ...spec.flagger },
    prometheus: { ...d.prometheus, ...spec.prometheus },
    gate: { ...d.gate, ...gate, mlflow: { ...d.gate.mlflow, ...gate.mlflow } },
    istio: { ...d.istio, ...spec.istio },
  };
}

/**
 * The configuration of the project in `dir`: `dir/agent-canary.yaml` when it exists, the
 * defaults otherwise. `file` overrides the path (an error when it does not exist).
 */
export function loadClusterConfig(dir: string, file?: string): ClusterConfig {
  const path = file ?? join(dir, CONFIG_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && file === undefined)
      return DEFAULT_CLUSTER_CONFIG;
    throw new ConfigError(
      { file: file ?? CONFIG_FILE, line: 0, column: 0 },
      {
        field: '',
        problem: `cannot read the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
        fix: `create ${CONFIG_FILE} beside cdk8s.yaml or pass the path of an existing one`,
      },
    );
  }
  // Shown as the user would type it: relative to the working folder when inside it.
  const shown =
    file === undefined
      ? CONFIG_FILE
      : relative(process.cwd(), file).startsWith('..')
        ? file
        : relative(process.cwd(), file);
  return parseClusterConfig(shown, text);
}
