/**
 * Validator throughput on the generator's real output: the example fleet's synthesized dist/
 * (35 manifests, one resource per file) copied with renamed namespaces until the corpus holds
 * about 10,000 resources, validated with schemas and rules, beside two baselines that only parse
 * the same files: the `yaml` package (what the validator falls back to) and js-yaml.
 * `--synthetic` uses the earlier generated corpus instead (Deployments, Services, ConfigMaps,
 * Canaries and VirtualServices, 10 per file). Each phase runs in its own process so peak memory
 * (max RSS) is its own. The target row (`validate`) includes reading the files and loading the
 * schemas it needs from the on-disk cache a previous run wrote; one extra run with an empty
 * cache shows the first-run cost.
 *
 *   npx tsx bench/validate.ts [--resources 10000] [--runs 3] [--synthetic [--files 1000] [--per-file 10]]
 */
import { fork } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { loadAll } from 'js-yaml';
import { validatePaths, SchemaRegistry } from '../src/validate/index.js';

function doc(i: number): string {
  const name = `agent-${i}`;
  switch (i % 5) {
    case 0:
      return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: team-${i % 17}
  labels:
    app: ${name}
    app.kubernetes.io/name: ${name}
  annotations:
    argocd.argoproj.io/sync-wave: "0"
spec:
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
        version: stable
    spec:
      containers:
        - name: agent
          image: ghcr.io/recif-platform/corail:v0.3.${i % 10}
          ports:
            - containerPort: 8080
              name: http
          env:
            - name: MODEL_ID
              value: gpt-4o-mini
            - name: VERSION
              value: "${i}"
          readinessProbe:
            httpGet: { path: /healthz, port: http }
          resources:
            requests: { cpu: 100m, memory: 128Mi }
            limits:
              memory: 512Mi
`;
    case 1:
      return `apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: team-${i % 17}
  labels: { app: ${name} }
spec:
  selector:
    app: ${name}
  ports:
    - name: http
      port: 80
      targetPort: http
`;
    case 2:
      return `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}-config
  namespace: team-${i % 17}
data:
  MODEL_ID: gpt-4o-mini
  SYSTEM_PROMPT: |
    You are a helpful support agent.
    Answer briefly.
  TEMPERATURE: "0.2"
`;
    case 3:
      return `apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: ${name}
  namespace: team-${i % 17}
spec:
  provider: istio
  targetRef: { apiVersion: apps/v1, kind: Deployment, name: ${name} }
  service:
    port: 80
    targetPort: 8080
  analysis:
    interval: 1m
    threshold: 3
    maxWeight: 50
    stepWeights: [5, 10, 25, 50]
    metrics:
      - name: request-success-rate
        interval: 1m
        thresholdRange: { min: 99 }
    webhooks:
      - name: quality-gate
        type: rollout
        url: http://agent-canary-gate.agent-canary-system/api/v1/webhooks/flagger
        timeout: 8s
        metadata:
          check: quality
          agent: ${name}
          minSamples: "20"
`;
    default:
      return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ${name}-vs
  namespace: team-${i % 17}
spec:
  hosts:
    - ${name}.team-${i % 17}.svc.cluster.local
  http:
    - route:
        - destination: { host: ${name}, subset: stable }
          weight: 90
        - destination: { host: ${name}, subset: canary }
          weight: 10
`;
  }
}

function makeCorpus(files: number, perFile: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'bench-validate-'));
  for (let f = 0; f < files; f++) {
    const sub = join(dir, `ns-${f % 20}`);
    mkdirSync(sub, { recursive: true });
    const docs: string[] = [];
    for (let d = 0; d < perFile; d++) docs.push(doc(f * perFile + d));
    writeFileSync(join(sub, `file-${f}.yaml`), docs.join('---\n'));
  }
  return dir;
}

/** dist/ (the generator's output for the example fleet) copied until `resources` is reached. */
function makeDistCorpus(resources: number): string {
  const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
  const files = listFiles(dist).filter((f) => f.endsWith('.yaml'));
  const texts = files.map((f) => [relative(dist, f), readFileSync(f, 'utf8')] as const);
  const perCopy = texts.reduce(
    (n, [, t]) => n + t.split(/^---$/m).filter((d) => /^kind:/m.test(d)).length,
    0,
  );
  const dir = mkdtempSync(join(tmpdir(), 'bench-validate-'));
  for (let k = 0; k * perCopy < resources; k++) {
    for (const [rel, text] of texts) {
      // Renamed namespaces: every copy is a fleet of its own, not duplicates of one.
      const out = join(dir, `copy-${k}`, rel.replaceAll('team-', `team-${k}-`));
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, text.replaceAll('team-', `team-${k}-`));
    }
  }
  return dir;
}

function listFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) listFiles(p, out);
    else out.push(p);
  }
  return out;
}

async function phase(name: string, dir: string): Promise<void> {
  const t0 = performance.now();
  let resources = 0;
  let extra = '';
  if (name === 'yaml') {
    for (const f of listFiles(dir)) {
      for (const d of parseAllDocuments(readFileSync(f, 'utf8')) as ReturnType<
        typeof parseAllDocuments
      > &
        unknown[]) {
        if ((d as { toJS(): unknown }).toJS() != null) resources++;
      }
    }
  } else if (name === 'js-yaml') {
    for (const f of listFiles(dir)) {
      for (const d of loadAll(readFileSync(f, 'utf8'))) if (d != null) resources++;
    }
  } else {
    // `validate-cold`: a fresh install (empty schema/module cache) pays for compiling and writing
    // the caches; `validate` is every later CI run on the same install (the cache is in
    // node_modules/.cache, which CI caches with node_modules).
    const cacheDir =
      name === 'validate-cold' ? mkdtempSync(join(tmpdir(), 'bench-validate-cache-')) : undefined;
    const report = await validatePaths([dir], {
      policies: new Map(),
      fleet: [],
      registry: new SchemaRegistry(cacheDir ? { cacheDir } : {}),
      // The single-threaded pipeline, as before worker threads (the baseline of the same run).
      ...(name === 'validate-1' ? { workers: 0 } : {}),
      // Both cores, forced below the automatic threshold (what `--workers 2` does).
      ...(name === 'validate-2' ? { workers: 2 } : {}),
    });
    if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
    resources = report.summary.resources;
    extra = ` (${report.summary.valid} valid, ${report.summary.errorFindings} errors)`;
  }
  const seconds = (performance.now() - t0) / 1000;
  process.send!({
    name,
    resources,
    seconds,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    extra,
  });
}

interface Result {
  name: string;
  resources: number;
  seconds: number;
  maxRssMiB: number;
  extra: string;
}

function runPhase(name: string, dir: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL(import.meta.url).pathname, ['--phase', name, dir], {
      stdio: 'inherit',
    });
    child.on('message', (m) => resolve(m as Result));
    child.on('error', reject);
    child.on('exit', (code) => code !== 0 && reject(new Error(`${name} phase exited ${code}`)));
  });
}

const args = process.argv.slice(2);
if (args[0] === '--phase') {
  await phase(args[1]!, args[2]!);
} else {
  const num = (flag: string, dflt: number) => {
    const i = args.indexOf(flag);
    return i >= 0 ? Number(args[i + 1]) : dflt;
  };
  const runs = num('--runs', 3);
  const synthetic = args.includes('--synthetic');
  const files = num('--files', 1000);
  const perFile = num('--per-file', 10);
  // Best of N runs per phase: the machine is shared, and the best run is the least disturbed one.
  const dir = synthetic ? makeCorpus(files, perFile) : makeDistCorpus(num('--resources', 10000));
  try {
    const fileCount = listFiles(dir).length;
    console.log(
      `corpus: ${synthetic ? 'synthetic' : "the generator's output (dist/) copied"}, ${fileCount} files; best of ${runs} runs per phase, each in a fresh process`,
    );
    const best: Record<string, Result> = {};
    const labels: Record<string, string> = {
      yaml: 'parse only: yaml parseAllDocuments  ',
      'js-yaml': 'parse only: js-yaml loadAll          ',
      'validate-1': 'validate, one thread (--workers 0)   ',
      'validate-2': 'validate, two workers (--workers 2)  ',
      validate: 'validate: load + schema + rules      ',
      'validate-cold': 'validate, empty schema cache (1 run) ',
    };
    // Interleaved: every phase once per round, so a burst of load hits all of them alike.
    const phases = ['yaml', 'js-yaml', 'validate-1', 'validate-2', 'validate'];
    for (let i = 0; i < runs; i++)
      for (const name of phases) {
        const r = await runPhase(name, dir);
        if (!best[name] || r.seconds < best[name]!.seconds) best[name] = r;
      }
    // The cold run is reported once (each fresh cache directory is a first run by definition).
    best['validate-cold'] = await runPhase('validate-cold', dir);
    for (const name of [...phases, 'validate-cold']) {
      const r = best[name]!;
      console.log(
        `${labels[name]}  ${Math.round(r.resources / r.seconds)
          .toString()
          .padStart(
            7,
          )} resources/s  ${r.seconds.toFixed(2)} s  peak RSS ${r.maxRssMiB.toFixed(0)} MiB${r.extra}`,
      );
    }
    console.log(
      `validate is ${(best.yaml!.seconds / best.validate!.seconds).toFixed(1)}x the speed of parsing alone with yaml, ${(best['js-yaml']!.seconds / best.validate!.seconds).toFixed(1)}x with js-yaml`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
