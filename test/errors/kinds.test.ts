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
