/**
 * The evidence of a decision as commit trailers, so `git log` alone says why a canary moved:
 *
 *   Agent-Canary-Decided-By: autopilot (host pid 1234)   or   canary weight (CLI, alice)
 *   Agent-Canary-Hold: 10m at 10%, held 10m3s since 1a2b3c4d5e6f
 *   Agent-Canary-Verdict: pass                           (the gate's outcome, or not-configured)
 *   Agent-Canary-Quality: Quality gate passed (...)      (the gate's message)
 *   Agent-Canary-Scores: safety/mean=0.98 (stable 0.97); relevance/mean=0.84 (stable 0.82)
 *   Agent-Canary-Checks: request-success-rate=99.8 (>=99) ok; request-duration=120 (<=500) ok
 *   Agent-Canary-Failed-Checks: 1/3
 *   Agent-Canary-Forced: <reason>                        (only with --force --reason)
 */
import type { Trailer } from '../gitops/events.js';
import type { Evidence } from './decide.js';
import { describeCheck } from './traffic.js';

export interface EvidenceFacts {
  readonly decidedBy: string;
  readonly hold?: string;
  readonly evidence?: Evidence;
  readonly failedChecks?: { readonly failed: number; readonly threshold: number };
  readonly forced?: string;
}

function round(v: number): string {
  return String(Math.round(v * 1000) / 1000);
}

/** Trailer values are one line and bounded (a commit message is not a log file). */
function clip(v: string, max = 600): string {
  const one = v.replace(/[\r\n]+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 3)}...` : one;
}

export function evidenceTrailers(f: EvidenceFacts): Trailer[] {
  const t: Trailer[] = [['Agent-Canary-Decided-By', clip(f.decidedBy, 200)]];
  if (f.hold) t.push(['Agent-Canary-Hold', clip(f.hold)]);
  const e = f.evidence;
  if (e) {
    const q = e.quality;
    t.push([
      'Agent-Canary-Verdict',
      q.status === 'judged' ? (q.verdict?.outcome ?? (q.passed ? 'pass' : 'fail')) : q.status,
    ]);
    t.push(['Agent-Canary-Quality', clip(q.message)]);
    const scores = (q.verdict?.metrics ?? [])
      .map(
        (m) =>
          `${m.key}=${m.value === null ? 'missing' : round(m.value)}${m.stable !== undefined && m.stable !== null ? ` (stable ${round(m.stable)})` : ''}${m.passed ? '' : ' FAIL'}`,
      )
      .join('; ');
    if (scores) t.push(['Agent-Canary-Scores', clip(scores)]);
    const checks =
      e.traffic.status === 'checked'
        ? e.traffic.checks.map(describeCheck).join('; ')
        : e.traffic.message;
    if (checks) t.push(['Agent-Canary-Checks', clip(checks)]);
  }
  if (f.failedChecks)
    t.push(['Agent-Canary-Failed-Checks', `${f.failedChecks.failed}/${f.failedChecks.threshold}`]);
  if (f.forced !== undefined) t.push(['Agent-Canary-Forced', clip(f.forced)]);
  return t;
}
