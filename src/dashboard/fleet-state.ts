/**
 * The fleet as the dashboard shows it: every agent of the repository's fleet files with its
 * mode, weight and versions, its policy's steps, and what its Git history says (the last event,
 * the last verdict recorded, when its current step began).
 *
 * Read from the working tree of the GitOps repository and its history only; nothing is stored.
 * The result is kept per HEAD commit (every canary operation commits, so a new HEAD is the signal
 * that something changed) and rebuilt incrementally: only the fleet files the new commits touched
 * are parsed again, so a 1,000-agent fleet is parsed once, not on every request.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { parseFleetFile } from '../fleet/load.js';
import type { FleetAgent } from '../fleet/types.js';
import { loadPolicies, resolvePolicy } from '../policy/load.js';
import type { Policy, PolicySpec } from '../policy/types.js';
import { AgentCanaryError } from '../errors/error.js';
import type { GitOps } from '../gitops/operations.js';
import { HistoryReader, type History, type HistoryCommit } from '../gitops/history.js';

/** One agent, as the overview lists it. */
export interface AgentRow {
  /** `namespace/name` */
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly mode: 'manual' | 'progressive' | null;
  readonly enabled: boolean;
  /** Canary traffic share in percent; 0 without a running canary. */
  readonly weight: number;
  readonly stable_version: string | null;
  readonly canary_version: string | null;
  readonly policy: string | null;
  /** The policy's step weights (promotion, 100, comes after the last). */
  readonly steps: readonly number[];
  /** The last canary event of the agent in Git. */
  readonly last_event: EventRef | null;
  /** The last verdict recorded in a commit's trailers (`Agent-Canary-Verdict`), if any. */
  readonly last_verdict: (EventRef & { readonly verdict: string }) | null;
  /** When the current step began (ms since the epoch): the last event, else the file's last commit. */
  readonly step_since: number | null;
  /** Why the fleet file or its policy could not be read (the row then shows what is known). */
  readonly error?: string;
}

export interface EventRef {
  readonly sha: string;
  readonly at: number;
  readonly event: string;
  readonly subject: string;
}

export interface FleetSnapshot {
  readonly head: string | undefined;
  readonly rows: readonly AgentRow[];
  readonly history: History;
  /** Parsed agents by id (only those whose file parses). */
  readonly agents: ReadonlyMap<string, FleetAgent>;
  readonly policies: ReadonlyMap<string, Policy>;
  /** Policy of an agent, resolved (undefined when it does not resolve). */
  policyOf(id: string): PolicySpec | undefined;
}

interface Parsed {
  readonly rel: string;
  readonly agent?: FleetAgent;
  readonly error?: string;
}

function messageOf(err: unknown): string {
  return err instanceof AgentCanaryError || err instanceof Error ? err.message : String(err);
}

/** Verdict-like trailers: `verdict` and whatever the autopilot names `*-verdict`. */
function verdictOf(c: HistoryCommit): string | undefined {
  if (c.trailers['verdict'] !== undefined) return c.trailers['verdict'];
  const key = Object.keys(c.trailers).find((k) => k.endsWith('verdict'));
  return key === undefined ? undefined : c.trailers[key];
}

/** The agent a commit is about: its `Agent` trailer (events), else none. */
function agentOf(c: HistoryCommit): string | undefined {
  return c.agent ?? c.trailers['agent'];
}

export class FleetState {
  private readonly history: HistoryReader;
  /** The policies as last read, and each agent's resolved policy under them. */
  private policies: { text: string; map?: Map<string, Policy>; error?: string } | undefined;
  private specs = new WeakMap<FleetAgent, PolicySpec>();
  private parsed = new Map<string, Parsed>();
  private snapshot: FleetSnapshot | undefined;
  private building: { head: string | undefined; promise: Promise<FleetSnapshot> } | undefined;

  constructor(private readonly gitops: GitOps) {
    this.history = new HistoryReader(gitops.repo.git, gitops.fleetDir);
  }

  /** The fleet at the repository's current HEAD. */
  async current(): Promise<FleetSnapshot> {
    const head = await this.gitops.repo.head();
    if (this.snapshot && this.snapshot.head === head) return this.snapshot;
    if (this.building && this.building.head === head) return this.building.promise;
    const promise = this.build(head).finally(() => {
      if (this.building?.promise === promise) this.building = undefined;
    });
    this.building = { head, promise };
    return promise;
  }

  private async policiesAt(dir: string): Promise<{ map?: Map<string, Policy>; error?: string }> {
    const text = await policyTexts(dir);
    if (this.policies?.text !== text) {
      this.policies = { text, ...safePolicies(dir) };
      this.specs = new WeakMap();
    }
    return this.policies;
  }

  private resolved(map: Map<string, Policy>, agent: FleetAgent): PolicySpec {
    let spec = this.specs.get(agent);
    if (!spec) this.specs.set(agent, (spec = resolvePolicy(map, agent)));
    return spec;
  }

  private async build(head: string | undefined): Promise<FleetSnapshot> {
    const before = this.snapshot;
    const history = await this.history.read(head);
    // Fleet files the new commits touched are parsed again; all of them without a previous snapshot.
    const stale = new Set<string>();
    if (before) {
      const known = new Set(before.history.commits.map((c) => c.sha));
      for (const c of history.commits) {
        if (known.has(c.sha)) break;
        for (const f of c.fleetFiles) stale.add(f);
      }
      // A history that was rewritten shares no newest commit: read everything again.
      if (
        before.history.head !== undefined &&
        !history.commits.some((c) => c.sha === before.history.head)
      )
        this.parsed.clear();
    } else this.parsed.clear();

    const root = join(this.gitops.repo.dir, this.gitops.fleetDir);
    const files = await fleetFiles(root);
    const next = new Map<string, Parsed>();
    await Promise.all(
      files.map(async (rel) => {
        const old = this.parsed.get(rel);
        next.set(rel, old && !stale.has(rel) ? old : await parseOne(root, rel));
      }),
    );
    this.parsed = next;
    const policies = await this.policiesAt(join(this.gitops.repo.dir, this.gitops.policiesDir));
    const resolved = new Map<string, PolicySpec | undefined>();
    const policyOf = (id: string): PolicySpec | undefined => resolved.get(id);
    const agents = new Map<string, FleetAgent>();
    const rows: AgentRow[] = [];
    const byAgent = lastByAgent(history.commits);
    const touched = lastTouched(history.commits);
    for (const rel of files) {
      const p = next.get(rel)!;
      const [namespace = '', file = ''] = rel.split('/');
      const name = file.replace(/\.ya?ml$/, '');
      const id = p.agent?.id ?? `${namespace}/${name}`;
      let spec: PolicySpec | undefined;
      let error = p.error;
      if (p.agent) {
        agents.set(id, p.agent);
        try {
          spec = policies.map ? this.resolved(policies.map, p.agent) : undefined;
          if (!spec) error = policies.error;
        } catch (err) {
          error = messageOf(err);
        }
      }
      resolved.set(id, spec);
      const facts = byAgent.get(id);
      const canary = p.agent?.agent.spec.canary ?? undefined;
      const enabled = canary?.enabled === true;
      rows.push({
        id,
        namespace,
        name,
        mode: p.agent?.rollout.mode ?? null,
        enabled,
        weight: enabled ? canary!.weight : 0,
        stable_version: p.agent?.agent.spec.version ?? null,
        canary_version: canary?.version ?? null,
        policy: p.agent?.rollout.policy ?? null,
        steps: spec?.steps.map((s) => s.weight) ?? [],
        last_event: facts?.event ?? null,
        last_verdict: facts?.verdict ?? null,
        step_since: facts?.event?.at ?? touched.get(rel) ?? null,
        ...(error !== undefined ? { error } : {}),
      });
    }
    rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const snap: FleetSnapshot = {
      head,
      rows,
      history,
      agents,
      policies: policies.map ?? new Map(),
      policyOf,
    };
    this.snapshot = snap;
    return snap;
  }
}

/**
 * The policies folder, parsed again only when a file in it changed; resolving an agent's policy
 * (merge and schema check) is kept per parsed agent while the policies stay the same.
 */
async function policyTexts(dir: string): Promise<string> {
  const names = (await readdir(dir).catch(() => [] as string[]))
    .filter((n) => /\.ya?ml$/.test(n))
    .sort();
  const texts = await Promise.all(names.map((n) => readFile(join(dir, n), 'utf8').catch(() => '')));
  return JSON.stringify([names, texts]);
}

async function fleetFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const namespaces = await readdir(root, { withFileTypes: true }).catch(() => []);
  for (const ns of namespaces) {
    if (!ns.isDirectory() || ns.name.startsWith('.')) continue;
    const entries = await readdir(join(root, ns.name), { withFileTypes: true }).catch(() => []);
    for (const f of entries)
      if (f.isFile() && !f.name.startsWith('.') && /\.ya?ml$/.test(f.name))
        out.push(posix.join(ns.name, f.name));
  }
  return out.sort();
}

async function parseOne(root: string, rel: string): Promise<Parsed> {
  try {
    return { rel, agent: parseFleetFile(rel, await readFile(join(root, rel), 'utf8')) };
  } catch (err) {
    return { rel, error: messageOf(err) };
  }
}

function safePolicies(dir: string): { map?: Map<string, Policy>; error?: string } {
  try {
    return { map: loadPolicies(dir) };
  } catch (err) {
    return { error: messageOf(err) };
  }
}

interface AgentFacts {
  event?: EventRef;
  verdict?: EventRef & { verdict: string };
}

/** Newest event and newest recorded verdict per agent (commits are newest first). */
function lastByAgent(commits: readonly HistoryCommit[]): Map<string, AgentFacts> {
  const out = new Map<string, AgentFacts>();
  for (const c of commits) {
    const agent = agentOf(c);
    if (agent === undefined) continue;
    let facts = out.get(agent);
    if (!facts) out.set(agent, (facts = {}));
    const ref = { sha: c.sha, at: c.at, event: c.trailers['event'] ?? '', subject: c.subject };
    if (!facts.event && c.event) facts.event = ref;
    const verdict = verdictOf(c);
    if (!facts.verdict && verdict !== undefined) facts.verdict = { ...ref, verdict };
  }
  return out;
}

/** Time of the newest commit that changed each fleet file (one pass, newest first). */
function lastTouched(commits: readonly HistoryCommit[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of commits) for (const f of c.fleetFiles) if (!out.has(f)) out.set(f, c.at);
  return out;
}
