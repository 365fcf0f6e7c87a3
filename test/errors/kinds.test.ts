/**
 * The one error model: each kind's exit code and HTTP status come from src/errors/kinds.ts, and
 * the errors of every part (files, constructs, synthesis, GitOps) answer through it.
 */
import { describe, expect, it } from 'vitest';
import { ConstructInputError } from '../../constructs/_errors.js';
import { AgentCanaryError } from '../../src/errors/error.js';
import { ERROR_KINDS, problemType, type ErrorKind } from '../../src/errors/kinds.js';
import { LocatedError } from '../../src/errors/located.js';
import { FleetError } from '../../src/fleet/load.js';
import { GitOpsError } from '../../src/gitops/errors.js';
import { PolicyError } from '../../src/policy/load.js';
import { SynthesisError } from '../../src/synth/synthesize.js';
import { HttpError } from '../../src/http/errors.js';
import { FieldError } from '../../src/gate/settings.js';
import { StateWriteError } from '../../src/gate/step-hold.js';
import { MlflowEnvError } from '../../src/mlflow/env.js';
import { MlflowApiError, MlflowUnavailableError } from '../../src/mlflow/types.js';
import { LockTimeoutError } from '../../src/gitops/lock.js';
import { GitRefError } from '../../src/validate/pr/git.js';
import { InputError } from '../../src/validate/load/read.js';
import { OutsideError } from '../../src/fs/inside.js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../cli-entry.js';

const here = { file: 'fleet/team/bot.yaml', line: 3, column: 1 };
const what = {
  field: 'spec.canary.weight',
  problem: 'too high',
  value: 120,
  allowed: '0..100',
  fix: 'lower it',
};

describe('the error kinds table', () => {
  it('gives every kind a CLI exit code of 1 (refused) or 2 (bad input, failure) and an HTTP error status', () => {
    for (const [kind, k] of Object.entries(ERROR_KINDS)) {
      expect([1, 2], kind).toContain(k.exitCode);
      expect(k.status, kind).toBeGreaterThanOrEqual(400);
      expect(k.status, kind).toBeLessThan(600);
      expect(k.title.length, kind).toBeGreaterThan(0);
    }
  });

  it('exits 1 only when a policy, a validation or the state said no', () => {
    const refusing = Object.entries(ERROR_KINDS)
      .filter(([, k]) => k.exitCode === 1)
      .map(([kind]) => kind);
    expect(refusing.sort()).toEqual(['conflict', 'refused']);
  });

  it('names the problem type by the kind', () => {
    expect(problemType('refused')).toBe('https://agent-canary.dev/problems/refused');
  });
});

describe('the errors of every part answer through the table', () => {
  const cases: [string, AgentCanaryError, ErrorKind][] = [
    ['a fleet file error', new FleetError(here, what), 'bad-request'],
    ['a policy file error', new PolicyError(here, what), 'bad-request'],
    [
      'a construct input error',
      new ConstructInputError('AgentRelease team/bot: weight 120'),
      'bad-request',
    ],
    ['a synthesis error', new SynthesisError('agent team/bot twice'), 'bad-request'],
    ['a refused operation', new GitOpsError('refused', 'skips step 50'), 'refused'],
    ['a state conflict', new GitOpsError('conflict', 'no canary'), 'conflict'],
    ['a failed push', new GitOpsError('git', 'push rejected 5 times'), 'git'],
    [
      'an HTTP answer with headers',
      new HttpError('unauthorized', 'no token', {}, {}),
      'unauthorized',
    ],
    ['a bad webhook field', new FieldError('metadata.passThreshold', 'bad'), 'bad-request'],
    [
      'a step-hold state that cannot be written',
      new StateWriteError('/x', new Error('EROFS')),
      'service-unavailable',
    ],
    ['a bad MLflow variable', new MlflowEnvError('MLFLOW_TRACKING_URI', 'bad'), 'bad-request'],
    [
      'MLflow out of reach',
      new MlflowUnavailableError('refused', 'connection'),
      'service-unavailable',
    ],
    [
      'an error MLflow answered',
      new MlflowApiError(400, 'INVALID_PARAMETER_VALUE', 'bad filter'),
      'upstream',
    ],
    ['a lease not taken in time', new LockTimeoutError('held by pid 7'), 'git'],
    ['a base revision that does not resolve', new GitRefError('no such ref'), 'bad-request'],
    ['a manifest that is not UTF-8', new InputError('byte 3', 'save as UTF-8'), 'bad-request'],
    ['a fleet file behind a link out of the repository', new OutsideError('a link'), 'bad-request'],
  ];
  it.each(cases)('%s', (_, err, kind) => {
    expect(err).toBeInstanceOf(AgentCanaryError);
    expect(err.kind).toBe(kind);
    expect(err.exitCode).toBe(ERROR_KINDS[kind].exitCode);
    expect(err.status).toBe(ERROR_KINDS[kind].status);
  });

  it('keeps the class name for logs and the located fields for reports', () => {
    const err = new FleetError(here, what);
    expect(err.name).toBe('FleetError');
    expect(err).toBeInstanceOf(LocatedError);
    expect(err.message).toBe(
      'fleet/team/bot.yaml:3: spec.canary.weight: too high (got 120; allowed: 0..100). Fix: lower it',
    );
    expect(new GitOpsError('refused', 'x').status).toBe(422);
  });
});

describe('the HTTP layer answers through the table', () => {
  it('an HttpError takes its status from its kind and keeps its members and headers', () => {
    const err = new HttpError(
      'payload-too-large',
      'too big',
      { limit: 10 },
      { Connection: 'close' },
    );
    expect(err.status).toBe(413);
    expect(err.exitCode).toBe(2);
    expect(err.extra).toEqual({ limit: 10 });
    expect(err.headers).toEqual({ Connection: 'close' });
  });

  it('HTTP-only answers have kinds of their own: 405, 502, 503', () => {
    expect(ERROR_KINDS['method-not-allowed'].status).toBe(405);
    expect(ERROR_KINDS.upstream.status).toBe(502);
    expect(ERROR_KINDS['service-unavailable'].status).toBe(503);
  });

  it('a bad webhook field carries field and allowed as problem members', () => {
    expect(new FieldError('metadata.mode', 'bad', 'strict | recif').details).toEqual({
      field: 'metadata.mode',
      allowed: 'strict | recif',
    });
  });
});

describe('every error class of the project is on the table', () => {
  /** Every .ts file under a folder. */
  function sources(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory()
        ? sources(join(dir, e.name))
        : e.name.endsWith('.ts')
          ? [join(dir, e.name)]
          : [],
    );
  }

  it('no class extends Error (or another built-in error) except AgentCanaryError itself', () => {
    const offenders: string[] = [];
    let base = 0;
    for (const file of [
      ...sources(join(REPO_ROOT, 'src')),
      ...sources(join(REPO_ROOT, 'constructs')),
    ]) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/class\s+(\w+)[^{]*?\bextends\s+(\w*Error)\b/g)) {
        if (m[2] === 'Error' || m[2] === 'TypeError' || m[2] === 'RangeError') {
          if (m[1] === 'AgentCanaryError') base++;
          else offenders.push(`${file.slice(REPO_ROOT.length + 1)}: ${m[1]}`);
        }
      }
    }
    expect(base).toBe(1); // the scan sees the one allowed class
    expect(offenders).toEqual([]);
  });
});
