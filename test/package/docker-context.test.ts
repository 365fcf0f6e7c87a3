/**
 * The Docker build context, as .dockerignore leaves it, holds exactly what the Dockerfile copies:
 * every COPY source is there (a build would not fail on a missing file), and nothing else is
 * (no node_modules, tests, example output or local state sent to the builder or baked into a
 * layer). No container runtime runs here, so the context is computed with Docker's own matching
 * rules (@balena/dockerignore) over the working tree.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../cli-entry.js';
import { finalStage } from '../../scripts/image-entrypoint.mjs';

// Its typings declare an ES default export; the module is CommonJS `module.exports = factory`.
const dockerignore = createRequire(import.meta.url)(
  '@balena/dockerignore',
) as typeof import('@balena/dockerignore').default;
const ig = dockerignore({ ignorecase: false }).add(
  readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8'),
);

/** Files of the working tree the builder would receive (excluded top-level folders not entered). */
function contextFiles(): string[] {
  const files: string[] = [];
  const walk = (rel: string): void => {
    for (const e of readdirSync(join(REPO_ROOT, rel), { withFileTypes: true })) {
      const path = rel ? posix.join(rel, e.name) : e.name;
      if (e.isDirectory()) {
        // A denied folder is entered only when a later `!` rule could admit something inside it.
        if (ig.ignores(`${path}/`) && !reAdmitsInside(path)) continue;
        walk(path);
      } else if (!ig.ignores(path)) {
        files.push(path);
      }
    }
  };
  walk('');
  return files.sort();
}

const negations = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l.startsWith('!'))
  .map((l) => l.slice(1).replace(/\/$/, ''));
const reAdmitsInside = (dir: string): boolean =>
  negations.some((n) => n === dir || n.startsWith(`${dir}/`));

/** Sources of the COPY instructions that read the build context (not --from=another stage). */
function copySources(): string[] {
  const text = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8').replace(/\\\r?\n/g, ' ');
  const sources: string[] = [];
  for (const line of text.split('\n').map((l) => l.trim())) {
    const m = /^COPY\s+(.*)$/i.exec(line);
    if (!m || /--from=/.test(m[1]!)) continue;
    const words = m[1]!.split(/\s+/).filter((w) => !w.startsWith('--'));
    sources.push(...words.slice(0, -1).map((w) => w.replace(/^\.\//, '').replace(/\/$/, '')));
  }
  return sources;
}

describe('Docker build context', () => {
  const files = contextFiles();
  const sources = copySources();

  it('contains every file and folder the Dockerfile copies', () => {
    expect(sources.length).toBeGreaterThan(5);
    for (const s of sources) {
      const present = files.some((f) => f === s || f.startsWith(`${s}/`));
      expect(present, `COPY ${s}: not in the build context (.dockerignore excludes it)`).toBe(true);
    }
    // What the package ships (package.json `files`, lib/ aside: the build stage compiles it).
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      files: string[];
    };
    for (const f of pkg.files.map((x) => x.replace(/\/$/, '')).filter((x) => x !== 'lib')) {
      expect(
        sources.some((s) => f === s || f.startsWith(`${s}/`)),
        `package file ${f} is not copied into the build stage`,
      ).toBe(true);
    }
  });

  it('contains nothing the Dockerfile does not copy', () => {
    const extra = files.filter((f) => !sources.some((s) => f === s || f.startsWith(`${s}/`)));
    expect(extra).toEqual([]);
    for (const denied of [
      'node_modules/',
      'lib/',
      'dist/',
      'test/',
      'bench/',
      '.git/',
      '.agent-canary/',
      'fleet/',
    ]) {
      expect(files.filter((f) => f.startsWith(denied))).toEqual([]);
    }
  });

  it('runs the final stage as a numeric non-root user with exec-form ENTRYPOINT and CMD', () => {
    const stage = finalStage(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
    const user = stage.filter(([k]) => k === 'USER').at(-1)?.[1];
    // Numeric, so Kubernetes' runAsNonRoot can verify it; the gate Deployment runs as 10001.
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
    for (const k of ['ENTRYPOINT', 'CMD'])
      expect(() => JSON.parse(stage.find(([x]) => x === k)![1]) as unknown).not.toThrow();
    // Only the installed package reaches the final stage, never the sources or the build tools.
    const copies = stage.filter(([k]) => k === 'COPY').map(([, rest]) => rest);
    expect(copies).toEqual(['--from=build /app/node_modules /app/node_modules']);
  });
});
