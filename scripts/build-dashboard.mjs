#!/usr/bin/env node
/**
 * Builds the dashboard page (web/dashboard/) into assets/dashboard/: one script (the page's
 * TypeScript and uPlot, bundled and minified by esbuild), one stylesheet (uPlot's and ours) and
 * index.html. The output is committed, so a clone, the npm package and the image serve it with
 * no build step and no network; test/dashboard/assets.test.ts rebuilds it and fails when the
 * committed files differ (run `npm run build:dashboard` and commit).
 *
 *   node scripts/build-dashboard.mjs [OUT_DIR]     (default assets/dashboard)
 */
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const web = join(root, 'web', 'dashboard');

export async function buildDashboard(out = join(root, 'assets', 'dashboard')) {
  mkdirSync(out, { recursive: true });
  for (const f of readdirSync(out)) rmSync(join(out, f), { force: true });
  const common = {
    bundle: true,
    minify: true,
    // Licence comments of the bundled packages (uPlot's MIT notice) stay, at the end of the file.
    legalComments: 'eof',
    logLevel: 'warning',
    absWorkingDir: root,
    nodePaths: [join(root, 'node_modules')],
  };
  await build({
    ...common,
    entryPoints: [join(web, 'src', 'main.ts')],
    outfile: join(out, 'app.js'),
    format: 'esm',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    platform: 'browser',
  });
  await build({
    ...common,
    entryPoints: [join(web, 'style.css')],
    outfile: join(out, 'app.css'),
  });
  copyFileSync(join(web, 'index.html'), join(out, 'index.html'));
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await buildDashboard(process.argv[2] ? resolve(process.argv[2]) : undefined);
  for (const f of readdirSync(out).sort()) console.log(join(out, f));
}
