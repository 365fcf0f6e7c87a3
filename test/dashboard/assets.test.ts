/**
 * The committed page (assets/dashboard/) is what `npm run build:dashboard` builds from
 * web/dashboard/ and the pinned npm packages: rebuilt into a temp folder and compared byte for
 * byte, so an edit of the page's sources without a rebuild fails here, not in a user's browser.
 * The bundle is self-contained: no URL of another origin, no import left for the browser to fetch.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildDashboard } from '../../scripts/build-dashboard.mjs';
import { removeDir, tempDir } from '../gitops/git-helpers.js';
import { REPO_ROOT } from './harness.js';

const COMMITTED = join(REPO_ROOT, 'assets', 'dashboard');

describe('the dashboard assets', () => {
  const out = tempDir('agent-canary-dashboard-build-');
  afterAll(() => removeDir(out));

  it('are the build of web/dashboard/ (run `npm run build:dashboard` and commit)', async () => {
    await buildDashboard(out);
    const built = readdirSync(out).sort();
    expect(readdirSync(COMMITTED).sort()).toEqual(built);
    for (const f of built)
      expect(readFileSync(join(COMMITTED, f), 'utf8'), f).toBe(readFileSync(join(out, f), 'utf8'));
  });

  it('load nothing from another origin', () => {
    const js = readFileSync(join(COMMITTED, 'app.js'), 'utf8');
    expect(js).not.toMatch(/\bimport\s*\(|from\s*["'](?!\.)/);
    const html = readFileSync(join(COMMITTED, 'index.html'), 'utf8');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    const css = readFileSync(join(COMMITTED, 'app.css'), 'utf8');
    expect(css).not.toMatch(/url\((?!data:)/);
  });
});
