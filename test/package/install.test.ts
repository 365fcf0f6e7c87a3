/**
 * The package as a user gets it: `npm run build`, `npm pack`, the tarball installed into an empty
 * folder (scripts/install-package.mjs, the same step as the image's build stage), and every
 * command run there through the installed, compiled `agent-canary` (no tsx, no sources), plus
 * the library API imported by its package name with its types, and the Dockerfile's ENTRYPOINT
 * and CMD run against the same install (scripts/image-entrypoint.mjs).
 *
 * Installing uses the npm cache (`--offline`; the cache `npm ci` filled), falling back to the
 * registry only for what the cache lacks. better-sqlite3's install script is skipped and the
 * repository's compiled addon copied in: compiling it again costs two minutes and tests nothing
 * of this package.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSqliteStore } from '../../src/mlflow-standin/build.js';
import { imageCommand } from '../../scripts/image-entrypoint.mjs';
import { REPO_ROOT } from '../cli-entry.js';
import { goodData, payload } from '../gate/helpers.js';

const exec = promisify(execFile);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  version: string;
  files: string[];
};

let tmp: string;
let root: string; // stands in for the image's root filesystem; the package is installed in root/app
let project: string; // a user's project: fleet/ and policies/, nothing else
let bin: string;
let cache: string;
let tarballFiles: string[];

/** Runs the installed command in the project; never throws (the exit code is asserted). */
async function cli(
  args: string[],
  cwd = project,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(process.execPath, [bin, ...args], {
      cwd,
      env: { ...process.env, XDG_CACHE_HOME: cache, AGENT_CANARY_CACHE_DIR: '' },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return {
      code: typeof err.code === 'number' ? err.code : -1,
      stdout: err.stdout,
      stderr: err.stderr,
    };
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split('\\').join('/'))
    .sort();
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'agent-canary-package-'));
  root = join(tmp, 'root');
  project = join(tmp, 'project');
  cache = join(tmp, 'cache');
  await exec(npm, ['run', 'build'], { cwd: REPO_ROOT });
  // prepack would build again; the build above is the one under test.
  const packed = await exec(
    npm,
    ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp],
    { cwd: REPO_ROOT },
  );
  const info = (JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[])[0]!;
  tarballFiles = info.files.map((f) => f.path).sort();
  const install = (mode: string) =>
    exec(process.execPath, [
      join(REPO_ROOT, 'scripts', 'install-package.mjs'),
      join(tmp, info.filename),
      join(root, 'app'),
      mode,
      '--ignore-scripts',
    ]);
  await install('--offline').catch(() => install('--prefer-offline'));
  const addon = join('node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
  mkdirSync(join(root, 'app', addon, '..'), { recursive: true });
  cpSync(join(REPO_ROOT, addon), join(root, 'app', addon));
  bin = join(root, 'app', 'node_modules', 'agent-canary', 'bin', 'agent-canary.mjs');
  for (const d of ['fleet', 'policies'])
    cpSync(join(REPO_ROOT, d), join(project, d), { recursive: true });
}, 300_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the npm tarball', () => {
  it('ships the compiled code, its types and data files, and no tests, benches, sources or example output', () => {
    expect(tarballFiles).toContain('lib/src/cli.js');
    expect(tarballFiles).toContain('lib/src/index.d.ts');
    expect(tarballFiles).toContain('lib/constructs/index.d.ts');
    expect(tarballFiles).toContain('imports/crds/flagger.yaml');
    expect(tarballFiles).toContain('schemas/k8s-core-fields.json');
    // The dashboard page, built from npm packages and served by the gate (no CDN).
    for (const f of ['index.html', 'app.js', 'app.css'])
      expect(tarballFiles).toContain(`assets/dashboard/${f}`);
    const allowed = [...pkg.files, 'package.json', 'README.md'];
    for (const f of tarballFiles)
      expect(
        allowed.some((a) => f === a || f.startsWith(a)),
        f,
      ).toBe(true);
    for (const f of tarballFiles)
      expect(f).not.toMatch(
        /^(test|bench|dist|src|fleet|node_modules)\/|\.test\.|\.ts$(?<!\.d\.ts)/,
      );
  });
});

describe('the installed command', () => {
  it('prints its version and usage', async () => {
    expect((await cli(['--version'])).stdout.trim()).toBe(pkg.version);
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/usage: agent-canary <command>/);
  });

  it('synthesizes the example fleet exactly as the repository does, and validates it', async () => {
    const synth = await cli(['synth']);
    expect(synth.code, synth.stderr).toBe(0);
    expect(synth.stdout).toMatch(/^synth: 4 agents, \d+ objects -> dist/);
    const mine = filesUnder(join(project, 'dist'));
    expect(mine).toEqual(filesUnder(join(REPO_ROOT, 'dist')));
    for (const f of mine)
      expect(readFileSync(join(project, 'dist', f), 'utf8'), f).toBe(
        readFileSync(join(REPO_ROOT, 'dist', f), 'utf8'),
      );
    const validate = await cli(['validate', 'dist/']);
    expect(validate.code, validate.stdout + validate.stderr).toBe(0);
    expect(validate.stdout).toMatch(/Invalid: 0, Errors: 0/);
    // Caches go to the user's cache directory, never into the installed package.
    const cached = readdirSync(join(cache, 'agent-canary'));
    expect(cached.some((f) => /^fleet-schema-.*\.cjs$/.test(f))).toBe(true);
    expect(cached.some((f) => /^schema-.*\.cjs$/.test(f))).toBe(true);
    expect(existsSync(join(root, 'app', 'node_modules', '.cache'))).toBe(false);
  });

  it('runs canary operations as commits in the embedded repository it announces', async () => {
    const status = await cli(['canary', 'status', 'team-support/support-bot']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stderr).toMatch(/creating the embedded GitOps repository \.agent-canary\/gitops/);
    expect(status.stdout).toMatch(/at 10%/);
    const weight = await cli(['canary', 'weight', 'team-support/support-bot', '25']);
    expect(weight.code, weight.stderr).toBe(0);
    expect(weight.stdout).toMatch(/commit [0-9a-f]{12} on main in \.agent-canary\/gitops/);
    const repo = join(project, '.agent-canary', 'gitops');
    const { stdout: log } = await exec('git', ['log', '--format=%s', '-1'], { cwd: repo });
    expect(log).toMatch(/support-bot/);
    expect(readFileSync(join(repo, 'fleet', 'team-support', 'support-bot.yaml'), 'utf8')).toMatch(
      /weight: 25/,
    );
    const refused = await cli(['canary', 'weight', 'team-support/support-bot', '100']);
    expect(refused.code).toBe(1);
  });
});

describe('the library API', () => {
  it('imports by package name: synthesize the fleet in-process and build constructs', async () => {
    const script = `
      import { loadFleet, loadPolicies, synthesize, validatePaths, GitOps, startGateServer, cacheDir } from 'agent-canary';
      import { GateServer, AgentRelease } from 'agent-canary/constructs';
      const manifests = synthesize(loadFleet(process.argv[1] + '/fleet'), { policies: loadPolicies(process.argv[1] + '/policies') });
      console.log(JSON.stringify({ n: manifests.length, fns: [validatePaths, GitOps, startGateServer, GateServer, AgentRelease].map((f) => typeof f), cache: cacheDir() }));
    `;
    const r = await exec(process.execPath, ['--input-type=module', '-e', script, project], {
      cwd: join(root, 'app'),
      env: { ...process.env, XDG_CACHE_HOME: cache, AGENT_CANARY_CACHE_DIR: '' },
    });
    const out = JSON.parse(r.stdout) as { n: number; fns: string[]; cache: string };
    expect(out.n).toBe(filesUnder(join(REPO_ROOT, 'dist')).length);
    expect(out.fns).toEqual(['function', 'function', 'function', 'function', 'function']);
    expect(out.cache).toBe(join(cache, 'agent-canary'));
  });

  it('has types a strict TypeScript project compiles against', async () => {
    const dir = join(root, 'app');
    writeFileSync(
      join(dir, 'check.mts'),
      [
        "import { synthesize, loadFleet, loadPolicies, type Manifest, type Report } from 'agent-canary';",
        "import { GateServer } from 'agent-canary/constructs';",
        "const m: Manifest[] = synthesize(loadFleet('fleet'), { policies: loadPolicies('policies') });",
        'const r: Report | undefined = undefined;',
        'void GateServer; void m; void r;',
        '// @ts-expect-error: internals are not exported',
        "import type { x } from 'agent-canary/lib/src/cli.js';",
      ].join('\n'),
    );
    const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = await exec(
      process.execPath,
      [
        tsc,
        '--noEmit',
        '--strict',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--target',
        'es2022',
        '--skipLibCheck',
        'check.mts',
      ],
      { cwd: dir },
    ).catch((e: { stdout: string }) => e);
    expect(r.stdout).toBe('');
  });
});

describe("the image's entrypoint against the installed tarball", () => {
  it('runs the Dockerfile CMD (the gate): answers a Flagger webhook, stops on SIGTERM, writes nothing into the package', async () => {
    const before = new Map(
      filesUnder(join(root, 'app')).map((f) => [f, statSync(join(root, 'app', f)).mtimeMs]),
    );
    const image = imageCommand(join(REPO_ROOT, 'Dockerfile'), root);
    expect(image.cmd[0]).toBe('gate');
    // `docker run` with the CMD, but on 127.0.0.1 and a free port: this machine is shared.
    const args = [...image.args];
    args[args.indexOf('--host') + 1] = '127.0.0.1';
    args[args.indexOf('--port') + 1] = '0';
    mkdirSync(image.cwd, { recursive: true });
    const db = join(tmp, 'mlflow.db');
    buildSqliteStore(db, goodData());
    const child: ChildProcess = spawn(process.execPath, args, {
      cwd: image.cwd,
      env: { ...process.env, ...image.env, MLFLOW_TRACKING_URI: `sqlite:///${db}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let logs = '';
    child.stdout!.on('data', (c: Buffer) => (logs += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (logs += c.toString()));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.on('exit', (code) => reject(new Error(`gate exited ${code}: ${logs}`)));
        child.stderr!.on('data', () => {
          const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(logs);
          if (m) resolve(m[1]!);
        });
      });
      const res = await fetch(`${url}/api/v1/webhooks/flagger`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload()),
      });
      expect(res.status, logs).toBe(200);
      expect(((await res.json()) as { message: string }).message).toMatch(/^Quality gate passed/);
      // The dashboard page and its script come from the installed package's assets.
      const page = await fetch(`${url}/dashboard/`);
      expect(page.status, logs).toBe(200);
      expect(await page.text()).toContain('src="app.js"');
      expect((await fetch(`${url}/dashboard/app.js`)).status).toBe(200);
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    // A read-only root filesystem works: the package folder is unchanged (no cache, no state).
    const after = new Map(
      filesUnder(join(root, 'app'))
        .filter((f) => f !== 'check.mts')
        .map((f) => [f, statSync(join(root, 'app', f)).mtimeMs]),
    );
    before.delete('check.mts');
    expect(after).toEqual(before);
  });
});
