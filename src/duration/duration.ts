/**
 * The one duration reader: durations as Flagger writes them (`30s`, `5m`; Go's
 * `time.ParseDuration` syntax), for the gate, the policy rules, the PR review, the autopilot and
 * the dashboard alike. It also accepts `ms` and `h` and compound forms like `1m30s`: the gate reads
 * them from hook metadata; policy files are narrowed to `<n>s` / `<n>m` by the policy schema
 * before they reach here. Returns milliseconds, or null when the text is not a duration.
 */
export function parseDuration(text: string): number | null {
  const s = text.trim();
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    const n = Number(m[1]);
    total +=
      m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n * 3_600_000;
    matched = re.lastIndex;
  }
  return matched === s.length && s.length > 0 ? Math.round(total) : null;
}

/** `192000` -> `3m12s`, for messages a human reads in `kubectl describe canary`. */
export function formatDuration(ms: number): string {
  const totalSeconds = Math.ceil(Math.max(0, ms) / 1000);
  const m = Math.floor(totalSeconds / 60);
  const s = totalSeconds % 60;
  return m > 0 ? `${m}m${s}s` : `${s}s`;
}

/** `parseDuration` in seconds; NaN when the text is not a duration (rules then report it). */
export function durationSeconds(text: string): number {
  const ms = parseDuration(text);
  return ms === null ? NaN : ms / 1000;
}
