/**
 * CLI: `agent-canary validate [PATH...] [options]`. Parses flags, runs the pipeline (or the
 * pull-request mode with --base), prints the report and returns the exit code:
 * 0 valid, 1 violations, 2 could not validate.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runPipeline, type ValidateOptions } from './pipeline.js';
import { render, FORMATS, type Format } from './report/index.js';
import { renderMarkdown } from './report/markdown.js';
import { GitRefError } from './pr/git.js';

export const USAGE = `usage: agent-canary validate [PATH...] [options]

Checks Kubernetes manifests (files, directories, - for stdin; default: dist) against the real
Kubernetes schemas and our CRDs, then against the canary rollout rules and policies.

options:
  -o, --output FORMAT      text (default), json, junit, sarif, github, markdown
      --crd FILE|DIR       CRD YAML to validate custom resources with (repeatable)
      --schemas DIR        JSON schemas in kubeconform's {group}/{kind}_{version}.json layout (repeatable)
      --skip-missing-schemas  report kinds without a schema as skipped instead of errors
      --skip KIND[,KIND]   kinds not to validate
      --policies DIR       rollout policies (default: policies)
      --fleet DIR          fleet files, for each agent's policy and overrides (default: fleet)
      --live FILE          live Canary objects (kubectl get canaries -A -o yaml) for plan-vs-live checks
      --base REF           pull-request mode: compare with this Git ref (e.g. origin/main)
      --gate URL           PR mode: ask the quality gate before a manual weight increase
      --no-drift           PR mode: do not compare dist/ with a fresh synthesis of the fleet
      --repo-url URL       PR mode: Argo CD repo URL for the drift check (default: read from dist/)
      --revision REV       PR mode: Argo CD target revision for the drift check (default: read from dist/)
      --summary FILE       also write the Markdown summary (PR comment, < 64 KiB) to FILE
      --fail-on-warn       exit 1 on warnings too
      --max-file-size MIB  refuse files larger than this (default: 64)
      --workers N          worker threads for parsing and schema checks (default: one per core
                           from 20,000 files on; 0: none)
  -v, --verbose            text output also lists valid and skipped resources
  -h, --help               this help

exit codes: 0 valid, 1 violations, 2 could not validate (bad input, missing schema, nothing found)`;

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        output: { type: 'string', short: 'o', default: 'text' },
        crd: { type: 'string', multiple: true },
        schemas: { type: 'string', multiple: true },
        'skip-missing-schemas': { type: 'boolean', default: false },
        skip: { type: 'string' },
        policies: { type: 'string' },
        fleet: { type: 'string' },
        live: { type: 'string' },
        base: { type: 'string' },
        gate: { type: 'string' },
        'no-drift': { type: 'boolean', default: false },
        'repo-url': { type: 'string' },
        revision: { type: 'string' },
        summary: { type: 'string' },
        'fail-on-warn': { type: 'boolean', default: false },
        'max-file-size': { type: 'string' },
        workers: { type: 'string' },
        verbose: { type: 'boolean', short: 'v', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    console.error(`agent-canary validate: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const v = parsed.values;
  if (v.help) {
    console.log(USAGE);
    return 0;
  }
  const format = String(v.output) as Format;
  if (!FORMATS.includes(format)) {
    console.error(
      `agent-canary validate: --output ${format} is not a format (allowed: ${FORMATS.join(', ')})`,
    );
    return 2;
  }
  let maxFileBytes: number | undefined;
  if (v['max-file-size'] !== undefined) {
    const mib = Number(v['max-file-size']);
    if (!Number.isFinite(mib) || mib <= 0) {
      console.error(
        `agent-canary validate: --max-file-size ${v['max-file-size']} is not a positive number of MiB`,
      );
      return 2;
    }
    maxFileBytes = mib * 1024 * 1024;
  }
  let workers: number | undefined;
  if (v.workers !== undefined) {
    workers = Number(v.workers);
    if (!Number.isInteger(workers) || workers < 0 || workers > 64) {
      console.error(
        `agent-canary validate: --workers ${v.workers} is not a whole number of threads from 0 to 64`,
      );
      return 2;
    }
  }
  if (v.gate !== undefined && v.base === undefined) {
    console.error(
      'agent-canary validate: --gate needs --base REF (the gate is asked about weight increases in a pull request)',
    );
    return 2;
  }
  if (v.gate !== undefined) {
    try {
      new URL(v.gate);
    } catch {
      console.error(
        `agent-canary validate: --gate ${v.gate} is not a URL (e.g. http://agent-canary-gate.agent-canary-system)`,
      );
      return 2;
    }
  }
  const paths = parsed.positionals.length ? parsed.positionals : ['dist'];
  const opts: ValidateOptions = {
    crds: v.crd,
    schemaDirs: v.schemas,
    skipMissingSchemas: v['skip-missing-schemas'],
    skipKinds: v.skip
      ? v.skip
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : undefined,
    policies: v.policies,
    fleet: v.fleet,
    live: v.live,
    failOnWarn: v['fail-on-warn'],
    maxFileBytes,
    workers,
  };
  let report;
  try {
    report =
      v.base !== undefined
        ? // Loaded only for --base: the drift check re-synthesizes, which loads cdk8s and the
          // constructs (a third of a plain validate's start-up otherwise).
          await (
            await import('./pr/index.js')
          ).validatePullRequest(paths, {
            ...opts,
            base: v.base,
            gate: v.gate,
            checkDrift: !v['no-drift'],
            repoURL: v['repo-url'],
            targetRevision: v.revision,
          })
        : (await runPipeline(paths, opts)).report;
  } catch (err) {
    if (err instanceof GitRefError) {
      console.error(`agent-canary validate: ${err.message}`);
      return err.exitCode;
    }
    throw err;
  }
  process.stdout.write(render(report, format, { verbose: v.verbose }));
  if (v.summary) writeFileSync(v.summary, renderMarkdown(report));
  return report.exitCode;
}
