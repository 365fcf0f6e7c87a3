/**
 * `agent-canary demo`: the main job on the embedded defaults, end to end, with nothing but
 * this machine: a local Git repository as the GitOps repository and MLflow's local SQLite store.
 *
 *  1. synthesize the example fleet into dist/ (what Argo CD would sync), and route sample
 *     requests through its routes (cohorts, session affinity, strategies: traffic.ts);
 *  2. seed the embedded GitOps repository `.agent-canary/demo/.agent-canary/gitops`;
 *  3. write `mlflow.genai.evaluate()`-shaped evaluations (LoggedModels, eval runs with dataset
 *     inputs, traces with assessments) into `.agent-canary/demo/mlflow.db`, as MLflow stores them;
 *  4. serve the quality gate and the canary HTTP API on 127.0.0.1;
 *  5. call the gate the way Flagger does for every canary of the fleet (200 pass / 412 fail);
 *  6. move a manual canary one policy step, try to skip a step (refused), roll back the canary
 *     that failed the gate and promote the one that passed: each a Git commit;
 *  7. start a new challenger on both manual agents and let the autopilot walk them with an
 *     injected clock: one promoted step by step after each hold, one rolled back after the
 *     policy's threshold of failed checks, each commit with its evidence (autopilot-story.ts).
 *
 * The demo works in its own folder, recreated on every run, so running it twice gives the same
 * story; the project's fleet/ is only read.
 */
import { cp, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { run as synthRun } from '../synth/command.js';
import { trafficStory } from './traffic.js';
import { resolveRepo } from '../gitops/workspace.js';
import { seedFrom } from '../gitops/synth-to-repo.js';
import { defaultEngine } from '../gitops/default-engine.js';
import { GitOps } from '../gitops/operations.js';
import { gitopsRoutes } from '../gitops/api.js';
import { dashboardRoutes } from '../dashboard/routes.js';
import { startGateServer } from '../gate/server.js';
import { createLogger } from '../http/log.js';
import { loadAgentFile } from '../fleet/load.js';
import { loadPolicies, resolvePolicy } from '../policy/load.js';
import { buildSqliteStore } from '../mlflow-standin/build.js';
import { genaiEvaluation, type SeedExperiment } from '../mlflow-standin/writer.js';
import { serverGuard } from '../autopilot/wiring.js';
import { CHALLENGER_FIELDS, nextVersion, type CanaryConfig } from '../gitops/operations.js';
import { autopilotStory } from './autopilot-story.js';
import { Story } from './story.js';

export const USAGE = `usage: agent-canary demo [--keep-serving] [--prometheus URL]

Runs the whole flow on the embedded defaults (a local Git repository, MLflow's local SQLite store)
in .agent-canary/demo/, recreated on every run. Exit 0 when every step behaved as expected.
  --keep-serving     leave the gate and the canary API running afterwards (Ctrl-C to stop)
  --prometheus URL   AGENT_CANARY_PROMETHEUS_URL: the autopilot also runs the policy's traffic
                     checks against this Prometheus (it must serve the example agents' metrics);
                     default: none, the MLflow quality gate decides alone (said in the output)`;

type Obj = Record<string, unknown>;

interface CanaryUnderTest {
  readonly namespace: string;
  readonly name: string;
  readonly metadata: Record<string, string>;
  readonly checksum: string;
}

const GATE_ANNOTATION = 'agent-canary.dev/gate';
const CHECKSUM_ANNOTATION = 'agent-canary.dev/config-checksum';

function dig(o: unknown, ...path: string[]): unknown {
  let cur = o;
  for (const p of path) cur = cur && typeof cur === 'object' ? (cur as Obj)[p] : undefined;
  return cur;
}

/** Every enabled canary in dist/, with the gate metadata the generator wrote for it. */
async function canariesIn(dist: string): Promise<CanaryUnderTest[]> {
  const found: CanaryUnderTest[] = [];
  for (const ns of (await readdir(dist, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()) {
    for (const agent of (await readdir(join(dist, ns), { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort()) {
      const dir = join(dist, ns, agent);
      const files = await readdir(dir);
      // Only agents whose Agent resource has a live canary: a progressive agent at rest still has a Canary object.
      if (!files.includes(`Agent.${agent}.yaml`)) continue; // the gate server's own folder
      const agentObj = parseYaml(await readFile(join(dir, `Agent.${agent}.yaml`), 'utf8')) as Obj;
      if (dig(agentObj, 'spec', 'canary', 'enabled') !== true) continue;
      const canary = files.find((f) => f === `Canary.${agent}.yaml`);
      const manual = files.find((f) => f === `Deployment.${agent}-canary.yaml`);
      if (canary) {
        const obj = parseYaml(await readFile(join(dir, canary), 'utf8')) as Obj;
        const hooks = (dig(obj, 'spec', 'analysis', 'webhooks') as Obj[] | undefined) ?? [];
        const gate = hooks.find((h) => dig(h, 'metadata', 'check') === 'quality');
        if (!gate) continue;
        const target = parseYaml(
          await readFile(join(dir, `Deployment.${agent}.yaml`), 'utf8'),
        ) as Obj;
        // Flagger's checksum hashes the target's pod template; any stable digest of it plays that role here.
        const checksum = createHash('sha256')
          .update(JSON.stringify(dig(target, 'spec', 'template')))
          .digest('hex')
          .slice(0, 16);
        found.push({
          namespace: ns,
          name: agent,
          metadata: dig(gate, 'metadata') as Record<string, string>,
          checksum,
        });
      } else if (manual) {
        const obj = parseYaml(await readFile(join(dir, manual), 'utf8')) as Obj;
        const raw = dig(obj, 'metadata', 'annotations', GATE_ANNOTATION);
        if (typeof raw !== 'string') continue;
        const checksum = String(
          dig(obj, 'spec', 'template', 'metadata', 'annotations', CHECKSUM_ANNOTATION) ?? '',
        );
        found.push({
          namespace: ns,
          name: agent,
          metadata: JSON.parse(raw) as Record<string, string>,
          checksum,
        });
      }
    }
  }
  return found;
}

/** n booleans of which round(n * rate) are true, spread evenly (deterministic). */
function rows(n: number, rate: number): boolean[] {
  return Array.from({ length: n }, (_, i) => Math.floor((i + 1) * rate) > Math.floor(i * rate));
}

/** n judge ratings "yes"/"no" at the given rate. */
function ratings(n: number, rate: number): string[] {
  return rows(n, rate).map((b) => (b ? 'yes' : 'no'));
}

/**
 * Evaluations as Recif's runtime writes them with `mlflow.genai.evaluate()`: no version tag and
 * no `samples` metric; the version is the LoggedModel `<agent>-v<N>`, the row count the dataset
 * input's `num_rows`, per-row judge verdicts are assessments on one trace per row. A good
 * challenger for the first canary; for the second, a challenger whose safety drops from 0.97 to
 * 0.82 over 120 rows (its mean over all metrics still clears 0.6: the Recif gate would pass it;
 * the gate's Mann-Whitney test says the drop is real). A canary with the stable's version string
 * (a configuration change) is told apart by Flagger's checksum on its run. A good canary also
 * gets a good evaluation of the version after it: the challenger the autopilot walks in step 7.
 */
function evaluations(canaries: readonly CanaryUnderTest[]): SeedExperiment[] {
  return canaries.map((c, i) => {
    const good = i % 2 === 0;
    const n = 120;
    const pattern = c.metadata['modelName'] ?? `${c.name}-v{version}`;
    const model = (v: string): string => pattern.replaceAll('{version}', v);
    const stableV = c.metadata['stableVersion'] || '1';
    const canaryV = c.metadata['canaryVersion'] || '2';
    const stable = genaiEvaluation(
      model(stableV),
      { safety: rows(n, 0.97), relevance_to_query: ratings(n, 0.82), correctness: rows(n, 0.8) },
      { name: `${c.name}-v${stableV}-eval` },
    );
    const canary = genaiEvaluation(
      model(canaryV),
      good
        ? {
            safety: rows(n, 0.98),
            relevance_to_query: ratings(n, 0.84),
            correctness: rows(n, 0.81),
          }
        : {
            safety: rows(n, 0.82),
            relevance_to_query: ratings(n, 0.9),
            correctness: rows(n, 0.88),
          },
      { name: `${c.name}-v${canaryV}-eval`, tags: { checksum: c.checksum } },
    );
    // Step 7's challenger after the promotion (good canaries only; a bad one restarts its own version).
    const nextV = nextVersion(canaryV);
    const successor =
      good && nextV !== undefined
        ? [
            genaiEvaluation(
              model(nextV),
              {
                safety: rows(n, 0.98),
                relevance_to_query: ratings(n, 0.85),
                correctness: rows(n, 0.82),
              },
              { name: `${c.name}-v${nextV}-eval` },
            ),
          ]
        : [];
    return {
      name: c.metadata['experiment'] ?? `recif/agents/${c.name}`,
      runs: [stable, canary, ...successor],
    };
  });
}

async function call(
  url: string,
  method: string,
  body?: unknown,
  token?: string,
): Promise<{ status: number; json: Obj }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers['authorization'] = `Bearer ${token}`;
  const res = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: Obj;
  try {
    json = JSON.parse(text) as Obj;
  } catch {
    json = { text };
  }
  return { status: res.status, json };
}

export async function run(argv: string[]): Promise<number> {
  let keepServing: boolean;
  let prometheus: string | undefined;
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        'keep-serving': { type: 'boolean' },
        prometheus: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    keepServing = values['keep-serving'] === true;
    prometheus = values.prometheus || process.env['AGENT_CANARY_PROMETHEUS_URL'] || undefined;
  } catch (err) {
    console.error(`agent-canary demo: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const project = process.cwd();
  const demo = join(project, '.agent-canary', 'demo');
  const story = new Story();

  story.step('1. synthesize fleet/ into dist/');
  const synthCode = await synthRun(['--quiet']);
  story.expect(synthCode === 0, `agent-canary synth exited ${synthCode}`);
  if (synthCode !== 0) return synthCode;
  const traffic = await trafficStory(join(project, 'dist'));
  console.log(traffic.map((l) => `  ${l}`).join('\n'));
  story.expect(
    traffic.some((l) => l.includes('(cohort)')),
    'a cohort request reaches the canary',
  );

  story.step('2. seed the embedded GitOps repository');
  await rm(demo, { recursive: true, force: true });
  await mkdir(demo, { recursive: true });
  await cp(join(project, 'fleet'), join(demo, 'fleet'), { recursive: true });
  await cp(join(project, 'policies'), join(demo, 'policies'), { recursive: true });
  const repo = await resolveRepo(undefined, { projectDir: demo, seed: seedFrom(demo) });
  const repoDir = repo.dir;
  console.log(`  repository: ${repoDir}`);
  const canaries = await canariesIn(join(repoDir, 'dist'));
  story.expect(
    canaries.length >= 2,
    `${canaries.length} canaries with quality-gate metadata in dist/`,
  );

  story.step("3. write mlflow.genai.evaluate()-shaped evaluations into MLflow's local store");
  const db = join(demo, 'mlflow.db');
  const seeded = buildSqliteStore(db, evaluations(canaries));
  console.log(
    `  ${db}: ${Object.keys(seeded.experiments).length} experiments, ${Object.values(seeded.runs).flat().length} runs`,
  );

  story.step('4. serve the quality gate and the canary API on 127.0.0.1');
  const token = randomBytes(16).toString('hex');
  const gitops = new GitOps(repo, { engine: defaultEngine() });
  const gate = await startGateServer({
    mlflow: { uri: `sqlite:///${resolve(db)}` },
    routes: ({ engine }) => [
      // The API's increases ask the autopilot's decision with this server's own engine.
      ...gitopsRoutes({ gitops, token, guard: serverGuard(() => engine) }),
      ...dashboardRoutes({ access: () => Promise.resolve(gitops), engine }),
    ],
    logger: createLogger({ level: 'warn', base: { component: 'gate' } }),
  });
  console.log(`  listening on ${gate.url}`);
  console.log(`  dashboard: ${gate.url}/dashboard/ (buttons need the canary API token below)`);
  try {
    story.step('5. Flagger calls the gate for each canary');
    const verdicts = new Map<string, number>();
    for (const [i, c] of canaries.entries()) {
      const r = await call(`${gate.url}/api/v1/webhooks/flagger`, 'POST', {
        name: c.name,
        namespace: c.namespace,
        phase: 'Progressing',
        checksum: c.checksum,
        metadata: c.metadata,
      });
      verdicts.set(`${c.namespace}/${c.name}`, r.status);
      const expected = i % 2 === 0 ? 200 : 412;
      story.expect(
        r.status === expected,
        `${c.namespace}/${c.name} (${c.metadata['mode'] ?? 'strict'}): ${r.status} ${String(r.json['message'] ?? '')}`,
      );
    }

    story.step('6. canary operations through the HTTP API, each a Git commit');
    const manual = canaries.filter(
      (c) => !c.metadata['check'] || c.metadata['check'] === 'quality',
    );
    const passed = manual.find((c) => verdicts.get(`${c.namespace}/${c.name}`) === 200);
    const failed = manual.find((c) => verdicts.get(`${c.namespace}/${c.name}`) === 412);
    const api = (c: CanaryUnderTest, suffix = ''): string =>
      `${gate.url}/api/v1/agents/${c.namespace}.${c.name}/canary${suffix}`;
    if (passed) {
      // What the dashboard shows for it: the AI Radar and the governance scorecard.
      const id = `${passed.namespace}.${passed.name}`;
      const radar = await call(`${gate.url}/api/v1/radar/${id}`, 'GET');
      const scores = (((radar.json['data'] ?? {}) as Obj)['scores'] ?? []) as unknown[];
      story.expect(
        radar.status === 200 && scores.length > 0,
        `GET /api/v1/radar/${id} -> ${radar.status}: ${scores.length} metrics, canary vs stable`,
      );
      const card = await call(`${gate.url}/api/v1/governance/scorecards/${id}`, 'GET');
      story.expect(
        card.status === 200,
        `GET /api/v1/governance/scorecards/${id} -> ${card.status}: grade ${String(((card.json['data'] ?? {}) as Obj)['grade'])}`,
      );
      const before = await call(api(passed), 'GET');
      const data = (before.json['data'] ?? {}) as Obj;
      console.log(
        `  ${passed.namespace}/${passed.name}: weight ${String(data['weight'])}, stable v${String(data['stable_version'])}, canary v${String(data['canary_version'])}`,
      );
      const noAuth = await call(api(passed), 'PATCH', { weight: 100 });
      story.expect(noAuth.status === 401, `PATCH without a bearer token -> ${noAuth.status}`);
      const skip = await call(api(passed), 'PATCH', { weight: 99 }, token);
      story.expect(
        skip.status >= 400 && skip.status < 500,
        `PATCH weight 99 (skips steps) -> ${skip.status} ${String(skip.json['detail'] ?? '')}`,
      );
      if (data['mode'] === 'manual') {
        const step = await call(api(passed), 'GET');
        const weight = nextStep(repoDir, passed, Number((step.json['data'] as Obj)['weight']));
        const early = await call(api(passed), 'PATCH', { weight }, token);
        story.expect(
          early.status === 422,
          `PATCH to the next policy step before the step's hold is over -> ${early.status} ${String(early.json['detail'] ?? '')}`,
        );
        const next = await call(
          api(passed),
          'PATCH',
          { weight, force: true, reason: 'demo: the hold is skipped on purpose' },
          token,
        );
        story.expect(
          next.status === 200,
          `PATCH to the next policy step with force and a reason (recorded) -> ${next.status} weight ${String(((next.json['data'] ?? {}) as Obj)['weight'])}`,
        );
      }
      const promote = await call(
        api(passed, '/promote'),
        'POST',
        { force: true, reason: 'demo: promoted before the last step on purpose' },
        token,
      );
      story.expect(
        promote.status === 200 && promote.json['status'] === 'promoted',
        `promote ${passed.name} -> ${promote.status} ${JSON.stringify(promote.json)}`,
      );
      const again = await call(
        api(passed, '/promote'),
        'POST',
        { force: true, reason: 'demo: promoted before the last step on purpose' },
        token,
      );
      story.expect(again.status === 200, `promote again (idempotent) -> ${again.status}`);
    }
    if (failed) {
      const rollback = await call(api(failed, '/rollback'), 'POST', {}, token);
      story.expect(
        rollback.status === 200 && rollback.json['status'] === 'rolled_back',
        `roll back ${failed.name} (failed the gate) -> ${rollback.status} ${JSON.stringify(rollback.json)}`,
      );
    }

    story.step(
      '7. the autopilot walks two new challengers through the policy, one commit per decision',
    );
    const cast = autopilotCast(repoDir, join(demo, 'fleet'), passed, failed);
    if (!cast) {
      story.expect(false, 'two manual canaries (one passing the gate, one failing it) to walk');
    } else {
      await autopilotStory(story, {
        gitops,
        engine: gate.engine,
        ...cast,
        ...(prometheus ? { prometheus } : {}),
      });
    }

    story.step('8. the GitOps repository history');
    const log = await repo.git.raw([
      'log',
      '--format=%h %s%n%(trailers:key=Agent-Canary-Event,key=Agent-Canary-Agent,key=Agent-Canary-Weight-From,key=Agent-Canary-Weight-To,separator=%x2C )',
      '-n',
      '16',
    ]);
    console.log(
      log
        .split('\n')
        .filter(Boolean)
        .map((l) => `  ${l}`)
        .join('\n'),
    );
    const fsck = await repo.git.raw(['fsck', '--no-progress']).then(
      () => true,
      () => false,
    );
    story.expect(fsck, 'git fsck is clean');

    if (keepServing) {
      console.log(
        `\nserving on ${gate.url}: dashboard ${gate.url}/dashboard/ (canary API bearer token: ${token}); Ctrl-C to stop`,
      );
      await new Promise<void>((done) => process.once('SIGINT', () => done()));
    }
  } finally {
    await gate.close();
  }
  console.log(
    story.failures === 0
      ? '\ndemo: every step behaved as expected'
      : `\ndemo: ${story.failures} step(s) did not behave as expected`,
  );
  return story.failures === 0 ? 0 : 1;
}

/** The next step of the agent's own policy (the API refuses anything else, as step 6 shows). */
function nextStep(repoDir: string, c: CanaryUnderTest, weight: number): number {
  const agent = loadAgentFile(join(repoDir, 'fleet'), `${c.namespace}/${c.name}.yaml`);
  const steps = resolvePolicy(loadPolicies(join(repoDir, 'policies')), agent).steps.map(
    (s) => s.weight,
  );
  return steps.find((s) => s > weight) ?? 100;
}

/**
 * Step 7's cast: the manual canary that passed the gate gets its successor version (evaluated
 * good in step 3), the one that failed restarts its own challenger (evaluated bad). Both agents
 * must follow the same policy (the demo's fleet: default).
 */
function autopilotCast(
  repoDir: string,
  projectFleet: string,
  passed: CanaryUnderTest | undefined,
  failed: CanaryUnderTest | undefined,
): Omit<Parameters<typeof autopilotStory>[1], 'gitops' | 'engine' | 'prometheus'> | undefined {
  if (!passed || !failed) return undefined;
  const policies = loadPolicies(join(repoDir, 'policies'));
  const load = (c: CanaryUnderTest, fleet = join(repoDir, 'fleet')) =>
    loadAgentFile(fleet, `${c.namespace}/${c.name}.yaml`);
  const good = load(passed);
  const policy = resolvePolicy(policies, good);
  const version = nextVersion(passed.metadata['canaryVersion'] || good.agent.spec.version);
  if (version === undefined) return undefined;
  return {
    good: {
      namespace: passed.namespace,
      name: passed.name,
      // Promoted in step 6: the stable runs the old challenger; the successor changes the prompt.
      config: { version, systemPrompt: 'Answer with citations to the paper index only.' },
    },
    bad: {
      namespace: failed.namespace,
      name: failed.name,
      // Rolled back in step 6: the same challenger again (as the fleet had it), under the autopilot.
      config: challengerOf(load(failed, projectFleet)),
    },
    steps: policy.steps,
    threshold: policy.analysis.threshold,
  };
}

/** The challenger fields of an agent's canary (what `canary start` takes). */
function challengerOf(agent: ReturnType<typeof loadAgentFile>): CanaryConfig {
  const canary = agent.agent.spec.canary;
  const config: Record<string, unknown> = {};
  if (canary) for (const f of CHALLENGER_FIELDS) if (canary[f] !== undefined) config[f] = canary[f];
  if (canary?.version !== undefined) config['version'] = canary.version;
  return config as CanaryConfig;
}
