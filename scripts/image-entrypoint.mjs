#!/usr/bin/env node
/**
 * Runs the Dockerfile's ENTRYPOINT and CMD the way the image would, without a container runtime:
 * a folder stands in for the image's root filesystem, so every absolute path in the final
 * stage's ENV, WORKDIR, ENTRYPOINT and CMD is taken inside that folder.
 *
 *   node scripts/install-package.mjs agent-canary-0.1.0.tgz ROOT/app   # what the build stage does
 *   node scripts/image-entrypoint.mjs ROOT [args...]                   # `docker run IMAGE [args...]`
 *
 * Arguments replace CMD, as with `docker run`. The child gets SIGTERM and SIGINT forwarded and
 * this script exits with its code. test/package/install.test.ts runs it against the tarball.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The instructions of the Dockerfile's last stage: [keyword, rest of line], continuations joined. */
export function finalStage(text) {
  const joined = text.replace(/\\\r?\n/g, ' ');
  const lines = joined
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  let stage = [];
  for (const line of lines) {
    const m = /^(\w+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const keyword = m[1].toUpperCase();
    if (keyword === 'FROM') stage = [];
    stage.push([keyword, m[2]]);
  }
  return stage;
}

/** ENV `K=V K2=V2` (the form this Dockerfile uses; values without spaces or quotes). */
function envPairs(rest) {
  return rest.split(/\s+/).map((p) => {
    const i = p.indexOf('=');
    if (i <= 0) throw new Error(`Dockerfile: ENV ${rest}: use the KEY=VALUE form`);
    return [p.slice(0, i), p.slice(i + 1)];
  });
}

function execForm(keyword, rest) {
  let v;
  try {
    v = JSON.parse(rest);
  } catch {
    throw new Error(
      `Dockerfile: ${keyword} must use the exec form (a JSON array), so signals reach the process; got ${rest}`,
    );
  }
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
    throw new Error(`Dockerfile: ${keyword} must be a JSON array of strings`);
  return v;
}

/**
 * The command the image runs, with its paths inside `root`:
 * `{ command, args, cwd, env, entrypoint, cmd, user }` (`entrypoint`/`cmd` as written).
 */
export function imageCommand(dockerfile, root, args) {
  const inRoot = (p) => (p.startsWith('/') ? join(root, p) : p);
  const env = {};
  let cwd = '/';
  let entrypoint = [];
  let cmd = [];
  let user;
  for (const [keyword, rest] of finalStage(readFileSync(dockerfile, 'utf8'))) {
    if (keyword === 'ENV') for (const [k, v] of envPairs(rest)) env[k] = inRoot(v);
    else if (keyword === 'WORKDIR')
      cwd = rest.startsWith('/') ? rest : `${cwd.replace(/\/$/, '')}/${rest}`;
    else if (keyword === 'ENTRYPOINT') entrypoint = execForm(keyword, rest);
    else if (keyword === 'CMD') cmd = execForm(keyword, rest);
    else if (keyword === 'USER') user = rest;
  }
  if (!entrypoint.length) throw new Error('Dockerfile: the final stage has no ENTRYPOINT');
  const argv = [...entrypoint, ...(args && args.length ? args : cmd)].map(inRoot);
  return { command: argv[0], args: argv.slice(1), cwd: inRoot(cwd), env, entrypoint, cmd, user };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [rootArg, ...args] = process.argv.slice(2);
  if (!rootArg) {
    console.error('usage: node scripts/image-entrypoint.mjs ROOT [args...]');
    process.exit(2);
  }
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const c = imageCommand(join(repoRoot, 'Dockerfile'), resolve(rootArg), args);
  mkdirSync(c.cwd, { recursive: true });
  for (const v of Object.values(c.env))
    if (v.startsWith(resolve(rootArg))) mkdirSync(v, { recursive: true });
  // `node` is the image's node; here the one running this script.
  const command = c.command === 'node' ? process.execPath : c.command;
  const child = spawn(command, c.args, {
    cwd: c.cwd,
    env: { ...process.env, ...c.env },
    stdio: 'inherit',
  });
  for (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => child.kill(s));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
}
