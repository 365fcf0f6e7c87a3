/**
 * CI integration: the sticky PR comment (GitHub and GitLab APIs served on 127.0.0.1 the way the
 * real ones answer), SARIF with repository-relative paths and a tool version, and the action and
 * GitLab snippet wiring those scripts to `validate --base`.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { commentBody, upsertComment } from '../../scripts/ci/pr-comment.mjs';
import { rebase } from '../../scripts/ci/sarif-paths.mjs';
import { sarifSchemaErrors } from '../validate/sarif-schema.js';
import { CLI_ARGS, REPO_ROOT } from '../cli-entry.js';

const exec = promisify(execFile);

interface Note {
  id: number;
  body: string;
}

/** A comments API: GitHub's issue comments or GitLab's MR notes, paginated two per page. */
async function fakeApi(
  kind: 'github' | 'gitlab',
  token: string,
  seed: Note[],
): Promise<{ url: string; notes: Note[]; calls: string[]; server: Server }> {
  const notes = [...seed];
  const calls: string[] = [];
  const listPath =
    kind === 'github'
      ? '/repos/acme/agents/issues/7/comments'
      : '/projects/42/merge_requests/7/notes';
  const itemPath =
    kind === 'github'
      ? /^\/repos\/acme\/agents\/issues\/comments\/(\d+)$/
      : /^\/projects\/42\/merge_requests\/7\/notes\/(\d+)$/;
  const read = (req: IncomingMessage) =>
    new Promise<string>((r) => {
      let b = '';
      req.on('data', (c: Buffer) => (b += c.toString()));
      req.on('end', () => r(b));
    });
  const server = createServer(async (req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    calls.push(`${req.method} ${u.pathname}`);
    const auth =
      kind === 'github'
        ? req.headers.authorization === `Bearer ${token}`
        : req.headers['private-token'] === token;
    if (!auth) return res.writeHead(401).end('{"message":"Bad credentials"}');
    if (u.pathname === listPath && req.method === 'GET') {
      const page = Number(u.searchParams.get('page') ?? '1');
      const slice = notes.slice((page - 1) * 2, page * 2);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (page * 2 < notes.length) {
        const n = new URL(u.href);
        n.searchParams.set('page', String(page + 1));
        headers['link'] = `<${base}${n.pathname}${n.search}>; rel="next"`;
      }
      return res.writeHead(200, headers).end(JSON.stringify(slice));
    }
    if (u.pathname === listPath && req.method === 'POST') {
      const note = {
        id: 100 + notes.length,
        body: (JSON.parse(await read(req)) as { body: string }).body,
      };
      notes.push(note);
      return res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(note));
    }
    const m = itemPath.exec(u.pathname);
    if (m && req.method === (kind === 'github' ? 'PATCH' : 'PUT')) {
      const note = notes.find((n) => n.id === Number(m[1]));
      if (!note) return res.writeHead(404).end('{}');
      note.body = (JSON.parse(await read(req)) as { body: string }).body;
      return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(note));
    }
    res.writeHead(404).end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: base, notes, calls, server };
}

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

describe('sticky PR comment', () => {
  for (const kind of ['github', 'gitlab'] as const) {
    it(`${kind}: the first run creates one comment, later runs update it, other comments stay`, async () => {
      const api = await fakeApi(kind, 'tok-1', [
        { id: 1, body: 'LGTM' },
        { id: 2, body: 'nit' },
        { id: 3, body: 'ok' },
      ]);
      servers.push(api.server);
      const env =
        kind === 'github'
          ? { GITHUB_TOKEN: 'tok-1', GITHUB_API_URL: api.url, GITHUB_REPOSITORY: 'acme/agents' }
          : { GITLAB_TOKEN: 'tok-1', CI_API_V4_URL: api.url, CI_PROJECT_ID: '42' };
      const first = await upsertComment({
        provider: kind,
        number: '7',
        summary: '### ✅ agent-canary validate\n\n35 valid',
        base: 'origin/main',
        marker: 'agent-canary-validate',
        env,
      });
      expect(first.action).toBe('created');
      const second = await upsertComment({
        provider: kind,
        number: '7',
        summary: '### ❌ agent-canary validate\n\n1 invalid',
        base: 'origin/release',
        marker: 'agent-canary-validate',
        env,
      });
      expect(second).toEqual({ action: 'updated', id: first.id });
      const ours = api.notes.filter((n) => n.body.includes('agent-canary-validate'));
      expect(ours).toHaveLength(1);
      expect(ours[0]!.body).toBe(
        commentBody(
          '### ❌ agent-canary validate\n\n1 invalid',
          'origin/release',
          'agent-canary-validate',
        ),
      );
      expect(ours[0]!.body).toMatch(
        /^<!-- agent-canary-validate -->\n.*compared against `origin\/release`/,
      );
      expect(api.notes.slice(0, 3).map((n) => n.body)).toEqual(['LGTM', 'nit', 'ok']);
      // The marker was on the second page: the list was followed through its Link header.
      expect(api.calls.filter((c) => c.startsWith('GET')).length).toBeGreaterThanOrEqual(4);
    });
  }

  it('as a command: exit 2 naming the call when the API refuses the token', async () => {
    const api = await fakeApi('github', 'right', []);
    servers.push(api.server);
    const dir = mkdtempSync(join(tmpdir(), 'ac-ci-'));
    try {
      writeFileSync(join(dir, 'summary.md'), 'x');
      writeFileSync(join(dir, 'event.json'), JSON.stringify({ pull_request: { number: 7 } }));
      const r = await exec(
        process.execPath,
        [
          join(REPO_ROOT, 'scripts', 'ci', 'pr-comment.mjs'),
          '--summary',
          join(dir, 'summary.md'),
          '--base',
          'origin/main',
        ],
        {
          env: {
            ...process.env,
            GITHUB_TOKEN: 'wrong',
            GITHUB_API_URL: api.url,
            GITHUB_REPOSITORY: 'acme/agents',
            GITHUB_EVENT_PATH: join(dir, 'event.json'),
            GITLAB_CI: '',
          },
        },
      ).catch((e: { code: number; stderr: string }) => e);
      expect((r as { code: number }).code).toBe(2);
      expect((r as { stderr: string }).stderr).toMatch(
        /GET http:\/\/127\.0\.0\.1:\d+\/repos\/acme\/agents\/issues\/7\/comments\?per_page=100 answered 401/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SARIF for code scanning', () => {
  it('names files relative to the repository, with the tool version and a real information URI', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'ac-sarif-'));
    try {
      const project = join(repo, 'deploy');
      mkdirSync(project);
      cpSync(join(REPO_ROOT, 'dist'), join(project, 'dist'), { recursive: true });
      const file = join(
        project,
        'dist',
        'team-support',
        'support-bot',
        'Deployment.support-bot.yaml',
      );
      writeFileSync(
        file,
        readFileSync(file, 'utf8').replace(
          'apiVersion: apps/v1',
          'apiVersion: apps/v1\nbogusField: 1',
        ),
      );
      const r = await exec(
        process.execPath,
        [
          ...CLI_ARGS,
          'validate',
          'dist',
          '-o',
          'sarif',
          '--fleet',
          'none',
          '--policies',
          join(REPO_ROOT, 'policies'),
        ],
        { cwd: project },
      ).catch((e: { stdout: string }) => e);
      const log = rebase(JSON.parse((r as { stdout: string }).stdout), 'deploy', repo) as {
        runs: {
          tool: { driver: { version?: string; informationUri: string } };
          results: { locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[];
        }[];
      };
      const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
        version: string;
        homepage: string;
      };
      // What the Action uploads (paths rebased) is still SARIF 2.1.0.
      expect(sarifSchemaErrors(log)).toEqual([]);
      expect(log.runs[0]!.tool.driver.version).toBe(pkg.version);
      expect(log.runs[0]!.tool.driver.informationUri).toBe(pkg.homepage);
      expect(pkg.homepage).not.toMatch(/example/);
      const uris = log.runs[0]!.results.flatMap((x) =>
        x.locations.map((l) => l.physicalLocation.artifactLocation.uri),
      );
      expect(uris).toContain('deploy/dist/team-support/support-bot/Deployment.support-bot.yaml');
      for (const u of uris) expect(u).not.toMatch(/^\/|\.\./);
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });
});

describe('the GitHub Action and the GitLab snippet', () => {
  const action = parse(readFileSync(join(REPO_ROOT, 'action.yml'), 'utf8')) as {
    runs: {
      using: string;
      steps: { uses?: string; run?: string; with?: Record<string, string> }[];
    };
  };
  const gitlab = parse(
    readFileSync(join(REPO_ROOT, 'ci', 'agent-canary.gitlab-ci.yml'), 'utf8'),
  ) as Record<
    string,
    { rules: { if: string }[]; script: string[]; artifacts: { paths: string[] } }
  >;

  it('the action is composite: validate --base with SARIF and a summary, upload, sticky comment, the exit code last', () => {
    expect(action.runs.using).toBe('composite');
    const runs = action.runs.steps.map((s) => s.run ?? '').join('\n');
    expect(runs).toMatch(/validate \$INPUT_PATHS --base "\$AGENT_CANARY_BASE" -o sarif/);
    expect(runs).toMatch(/--summary "\$out\/summary\.md"/);
    expect(runs).toMatch(/scripts\/ci\/sarif-paths\.mjs/);
    expect(runs).toMatch(/scripts\/ci\/pr-comment\.mjs" --provider github/);
    expect(
      action.runs.steps.find((s) => s.uses?.startsWith('github/codeql-action/upload-sarif@'))
        ?.with?.['sarif_file'],
    ).toMatch(/results\.sarif$/);
    expect(action.runs.steps.at(-1)!.run).toMatch(/exit 1/);
  });

  it("the GitLab job runs on merge requests and uses the installed package's scripts", () => {
    const job = gitlab['agent-canary-validate']!;
    expect(job.rules[0]!.if).toMatch(/merge_request_event/);
    const script = job.script.join('\n');
    expect(script).toMatch(
      /validate \$AGENT_CANARY_PATHS --base "\$AGENT_CANARY_BASE" -o sarif --summary/,
    );
    expect(script).toMatch(/pr-comment\.mjs" --provider gitlab/);
    expect(job.artifacts.paths).toContain('agent-canary.sarif');
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      files: string[];
    };
    expect(pkg.files).toContain('scripts/ci/');
  });
});
