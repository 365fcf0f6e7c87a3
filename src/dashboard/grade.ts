/**
 * The scorecard's grade, A (best) to F, and the reasons that produced it. Each rule caps the
 * grade; the grade is the lowest cap, and every rule that capped it is a reason. The rules are
 * documented in docs/dashboard.md ("Scorecard grade"); change both together.
 */

export type Grade = 'A' | 'B' | 'C' | 'D' | 'F';
const ORDER: readonly Grade[] = ['A', 'B', 'C', 'D', 'F'];

export interface GradeFacts {
  /** Validator errors in the agent's committed output (dist/). */
  readonly violations: number;
  /** Outcome of the gate on the running canary now, or null without one. */
  readonly current: 'pass' | 'fail' | 'no-data' | null;
  /** Releases (canaries started) in the window that the gate judged, and how many passed. */
  readonly judged: number;
  readonly passed: number;
  readonly promotions: number;
  readonly rollbacks: number;
  /** How long the running canary's step has lasted beyond its hold (ms), or null. */
  readonly overdueMs: number | null;
}

/** A step held this much longer than its policy's hold counts as stalled. */
export const STALLED_AFTER_MS = 24 * 3_600_000;

export interface GradeResult {
  readonly grade: Grade;
  readonly reasons: readonly {
    readonly rule: string;
    readonly cap: Grade;
    readonly reason: string;
  }[];
}

export function grade(f: GradeFacts): GradeResult {
  const reasons: { rule: string; cap: Grade; reason: string }[] = [];
  const cap = (rule: string, g: Grade, reason: string): void => {
    reasons.push({ rule, cap: g, reason });
  };
  if (f.violations > 0)
    cap('valid-output', 'F', `the committed output has ${f.violations} validation error(s)`);
  if (f.current === 'fail')
    cap('current-verdict', 'D', 'the running canary fails the quality gate');
  else if (f.current === 'no-data')
    cap('current-verdict', 'C', 'the running canary has no evaluation the gate can judge');
  if (f.judged > 0) {
    const rate = f.passed / f.judged;
    const pct = `${Math.round(rate * 100)}% (${f.passed} of ${f.judged})`;
    if (rate < 0.5) cap('pass-rate', 'D', `gate pass rate ${pct} is below 50%`);
    else if (rate < 0.8) cap('pass-rate', 'C', `gate pass rate ${pct} is below 80%`);
  }
  if (f.rollbacks > 0 && f.rollbacks > f.promotions)
    cap(
      'rollbacks',
      'C',
      `${f.rollbacks} rollback(s) and ${f.promotions} promotion(s) in the window`,
    );
  else if (f.rollbacks > 0) cap('rollbacks', 'B', `${f.rollbacks} rollback(s) in the window`);
  if (f.overdueMs !== null && f.overdueMs > STALLED_AFTER_MS)
    cap(
      'stalled',
      'B',
      `the running canary has held its step ${Math.round(f.overdueMs / 3_600_000)} h longer than the policy's hold`,
    );
  const worst = reasons.reduce<Grade>(
    (g, r) => (ORDER.indexOf(r.cap) > ORDER.indexOf(g) ? r.cap : g),
    'A',
  );
  return { grade: worst, reasons };
}
