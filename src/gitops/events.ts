/**
 * Commit messages of the canary operations. The subject says what happened in words; the
 * trailers (git-interpret-trailers format, last paragraph) say it for machines:
 *
 *   canary(team-support/support-bot): weight 10% -> 25%
 *
 *   Agent-Canary-Event: AgentCanaryWeightChanged
 *   Agent-Canary-Agent: team-support/support-bot
 *   Agent-Canary-Weight-From: 10
 *   Agent-Canary-Weight-To: 25
 *   Agent-Canary-Stable-Version: 3
 *   Agent-Canary-Canary-Version: 4
 *
 * `git log --format='%(trailers:key=Agent-Canary-Event,valueonly)'` lists the events.
 */

/** The events of the canary operations (`synth --repo` commits carry `Synthesized` instead). */
export const CANARY_EVENTS = [
  'AgentCanaryStarted',
  'AgentCanaryWeightChanged',
  'AgentCanaryPromoted',
  'AgentCanaryRolledBack',
] as const;
export type CanaryEvent = (typeof CANARY_EVENTS)[number];

/**
 * A failed check of a running canary, recorded by the autopilot as an empty commit (no file
 * changes) so that the count of failed checks lives in Git like everything else
 * (docs/autopilot.md). Not a traffic change, so not one of `CANARY_EVENTS`.
 */
export const CHECK_FAILED_EVENT = 'AgentCanaryCheckFailed';
export type CommitEvent = CanaryEvent | typeof CHECK_FAILED_EVENT;

/** One extra trailer: the evidence of a decision (`Agent-Canary-Verdict`, ...). */
export type Trailer = readonly [key: string, value: string];

export interface EventFacts {
  readonly event: CommitEvent;
  readonly agentId: string;
  readonly weightFrom: number;
  readonly weightTo: number;
  readonly stableVersion?: string;
  readonly canaryVersion?: string;
  /** Lines of the body (what changed), optional. */
  readonly body?: readonly string[];
  /** Who asked (CLI user, API caller), when known. */
  readonly actor?: string;
  /** Evidence trailers after the standard ones (keys `Agent-Canary-*`). */
  readonly trailers?: readonly Trailer[];
}

function subject(f: EventFacts): string {
  const id = `canary(${f.agentId})`;
  switch (f.event) {
    case 'AgentCanaryStarted':
      return `${id}: start version ${f.canaryVersion ?? '?'} at ${f.weightTo}%`;
    case 'AgentCanaryWeightChanged':
      return `${id}: weight ${f.weightFrom}% -> ${f.weightTo}%`;
    case 'AgentCanaryPromoted':
      return `${id}: promote version ${f.canaryVersion ?? '?'} to stable`;
    case 'AgentCanaryRolledBack':
      return `${id}: roll back version ${f.canaryVersion ?? '?'}, stable ${f.stableVersion ?? '?'} takes all traffic`;
    case CHECK_FAILED_EVENT:
      return `${id}: check failed at ${f.weightTo}% (version ${f.canaryVersion ?? '?'})`;
  }
}

/** Trailer values are single lines: newlines would end the trailer block. */
function oneLine(v: string): string {
  return v.replace(/[\r\n]+/g, ' ').trim();
}

export function commitMessage(f: EventFacts): string {
  const trailers = [
    `Agent-Canary-Event: ${f.event}`,
    `Agent-Canary-Agent: ${f.agentId}`,
    `Agent-Canary-Weight-From: ${f.weightFrom}`,
    `Agent-Canary-Weight-To: ${f.weightTo}`,
  ];
  if (f.stableVersion !== undefined)
    trailers.push(`Agent-Canary-Stable-Version: ${oneLine(f.stableVersion)}`);
  if (f.canaryVersion !== undefined)
    trailers.push(`Agent-Canary-Canary-Version: ${oneLine(f.canaryVersion)}`);
  if (f.actor) trailers.push(`Agent-Canary-Actor: ${oneLine(f.actor)}`);
  for (const [k, v] of f.trailers ?? []) {
    // A key is a token (git-interpret-trailers); a bad one would end the trailer block.
    if (!/^[A-Za-z0-9-]+$/.test(k)) throw new Error(`trailer key '${k}' is not a token`);
    trailers.push(`${k}: ${oneLine(v)}`);
  }
  const parts = [subject(f)];
  if (f.body && f.body.length > 0) parts.push(f.body.join('\n'));
  parts.push(trailers.join('\n'));
  return `${parts.join('\n\n')}\n`;
}

/** Reads the trailers back from a commit message (used by tests and `status`). */
export function parseTrailers(message: string): Record<string, string> {
  const paragraphs = message.trim().split(/\n\s*\n/);
  const last = paragraphs[paragraphs.length - 1] ?? '';
  const out: Record<string, string> = {};
  for (const line of last.split('\n')) {
    const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}
