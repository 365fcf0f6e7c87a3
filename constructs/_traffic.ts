/**
 * Request matching shared by the routes: cohorts as Istio `HTTPMatchRequest`s (the shape of
 * Flagger's `analysis.match` too) and as Gateway API `HTTPRouteMatch`es, the session-pin cookie,
 * and the header buckets that keep a conversation id on one track in manual Istio routing.
 *
 * Why buckets: Istio's consistent hashing (DestinationRule `loadBalancer.consistentHash`) picks a
 * pod inside the subset the VirtualService already chose; the weighted choice of the subset is
 * random per request. To keep a conversation on one track, the VirtualService itself must decide
 * by the id: ids whose last two hex digits fall in the first `round(256 * weight / 100)` of the
 * 256 buckets go to the canary, every other id to stable. The buckets only grow with the weight,
 * so a conversation moves at most once, stable -> canary, and never back.
 */
import type { Cohort, ReleaseStrategy, SessionAffinity } from '../src/fleet/types.js';

/** Istio `StringMatch`. */
export type IstioStringMatch = { readonly exact: string } | { readonly regex: string };
/** Istio `HTTPMatchRequest` (only the header part is used). */
export interface IstioMatch {
  readonly headers: Readonly<Record<string, IstioStringMatch>>;
}
/** Gateway API `HTTPRouteMatch` (only the header part is used). */
export interface GatewayMatch {
  readonly headers: readonly {
    readonly type: 'Exact' | 'RegularExpression';
    readonly name: string;
    readonly value: string;
  }[];
}

export const DEFAULT_SESSION_MAX_AGE = 86400;

/** RE2 (and JS) escaping of a literal. */
export function escapeRegex(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}

/** Regex over the whole `Cookie` header: cookie `name` holds one of `values` (or matches `valueRegex`). */
export function cookieRegex(name: string, valueRegex: string): string {
  return `^(.*?;\\s*)?${escapeRegex(name)}=(${valueRegex})(;.*)?$`;
}

function valuesRegex(values: readonly string[]): string {
  return values.map(escapeRegex).join('|');
}

/** Cohorts as Istio matches: one match per cohort (a list of matches is an OR). */
export function istioCohortMatches(cohorts: readonly Cohort[]): IstioMatch[] {
  return cohorts.map((c) => {
    if (c.cookie !== undefined) {
      return {
        headers: {
          cookie: { regex: cookieRegex(c.cookie, c.regex ?? valuesRegex(c.values ?? [])) },
        },
      };
    }
    const v = c.values ?? [];
    const m: IstioStringMatch =
      c.regex !== undefined
        ? { regex: c.regex }
        : v.length === 1
          ? { exact: v[0]! }
          : { regex: `^(${valuesRegex(v)})$` };
    return { headers: { [c.header!]: m } };
  });
}

/**
 * Cohorts as Gateway API matches: exact values become one `Exact` match each (core support);
 * regexes and cookies (a regex over the `Cookie` header) use `RegularExpression` (extended).
 */
export function gatewayCohortMatches(cohorts: readonly Cohort[]): GatewayMatch[] {
  const out: GatewayMatch[] = [];
  for (const c of cohorts) {
    if (c.cookie !== undefined) {
      out.push({
        headers: [
          {
            type: 'RegularExpression',
            name: 'cookie',
            value: cookieRegex(c.cookie, c.regex ?? valuesRegex(c.values ?? [])),
          },
        ],
      });
    } else if (c.regex !== undefined) {
      out.push({ headers: [{ type: 'RegularExpression', name: c.header!, value: c.regex }] });
    } else {
      for (const v of c.values ?? [])
        out.push({ headers: [{ type: 'Exact', name: c.header!, value: v }] });
    }
  }
  return out;
}

const HEX = '0123456789abcdef';

/** `[0-x]` over hex digits, both cases, for 0 <= n < 16: the first n+1 digits. */
function hexRange(n: number): string {
  const last = HEX[n]!;
  if (n < 10) return n === 0 ? '0' : `[0-${last}]`;
  const upper = last.toUpperCase();
  return n === 10 ? '[0-9aA]' : `[0-9a-${last}A-${upper}]`;
}

/** Number of the 256 buckets (last two hex digits of the id) that go to the canary at `weight` %. */
export function canaryBuckets(weight: number): number {
  if (weight <= 0) return 0;
  if (weight >= 100) return 256;
  return Math.min(255, Math.max(1, Math.round((256 * weight) / 100)));
}

/**
 * RE2 regex (full match, as Istio applies it) for header values whose last two hex digits fall
 * in the first `buckets` buckets; undefined for 0 buckets, `.+` for all 256.
 */
export function bucketRegex(buckets: number): string | undefined {
  if (buckets <= 0) return undefined;
  if (buckets >= 256) return '.+';
  const hex = '[0-9a-fA-F]';
  const a = Math.floor(buckets / 16);
  const b = buckets % 16;
  const parts: string[] = [];
  if (a > 0) parts.push(`${hexRange(a - 1)}${hex}`);
  if (b > 0) parts.push(`${a === 0 ? '0' : hexCase(HEX[a]!)}${hexRange(b - 1)}`);
  return `.*(${parts.join('|')})`;
}

function hexCase(d: string): string {
  return /[a-f]/.test(d) ? `[${d}${d.toUpperCase()}]` : d;
}

/** The pin cookie's value for one track: changes with the revision, so a new canary starts clean. */
export function pinValue(track: 'stable' | 'canary', revision: string): string {
  return `${track}-${revision.slice(0, 12)}`;
}

/** `Set-Cookie` value pinning a client to one track. */
export function pinCookie(sa: SessionAffinity, value: string): string {
  return `${sa.cookie}=${value}; Max-Age=${sa.maxAge ?? DEFAULT_SESSION_MAX_AGE}; Path=/; HttpOnly`;
}

/**
 * Route annotation naming a manual strategy other than `canary`, so the validator (which reads
 * dist/, not the fleet) knows which weights are legal: ab 0, blue-green 0 or 100.
 */
export const STRATEGY_ANNOTATION = 'agent-canary.dev/strategy';

export function strategyAnnotation(strategy: ReleaseStrategy): Record<string, string> {
  return strategy === 'canary' ? {} : { [STRATEGY_ANNOTATION]: strategy };
}
