/**
 * The dashboard page in real Chromium (Debian's /usr/bin/chromium, driven by playwright-core),
 * served by the gate server over the example fleet in a real GitOps repository and the MLflow
 * stand-in: the overview lists the fleet; an agent page plots both score series and the weight
 * history; "next step" with the token makes exactly one commit and the page shows it; a step the
 * policy refuses shows the reason; without a token the server refuses. One browser for the file;
 * every wait is for a selector or an event, never a sleep. Screenshots go to test-artifacts/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitCount, git, removeDir, tempDir } from '../gitops/git-helpers.js';
import { evaluations, REPO_ROOT, serve, TOKEN, type Served } from './harness.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
const HOUR = 3_600_000;

let root: string;
let served: Served;
let context: BrowserContext;

beforeAll(async () => {
  root = tempDir('agent-canary-dashboard-browser-');
  const t0 = Date.now() - 8 * HOUR;
  served = await serve({
    root,
    experiments: [
      evaluations('support-bot', '3', '4', t0),
      evaluations('research-assistant', '2.1.0', '2.2.0', t0),
    ],
  });
  // A short history for the plots: support-bot went down to 5% and back up to 10%.
  const sb = await served.gitops.resolve('team-support/support-bot');
  await served.gitops.setWeight(sb, 5, { actor: 'alice' });
  await served.gitops.setWeight(sb, 10, { actor: 'alice' });
  context = await chromium.launchPersistentContext(join(root, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 900 },
  });
  mkdirSync(ARTIFACTS, { recursive: true });
  // Seeding a repository and starting Chromium on a busy 2-core machine: more than the default.
}, 180_000);

afterAll(async () => {
  await context?.close();
  await served?.close();
  if (root) removeDir(root);
});

/** A new tab (empty sessionStorage) whose page errors fail the test. */
async function tab(): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // Only this server: the page must work offline (no CDN, no other origin).
  page.on('request', (r) => {
    if (!r.url().startsWith(served.url)) errors.push(`request to another origin: ${r.url()}`);
  });
  return { page, errors };
}

async function openAgent(page: Page, id: string): Promise<void> {
  await page.goto(`${served.url}/dashboard/#/agent/${id}`);
  await page.waitForSelector('#app[data-ready]');
}

async function useToken(page: Page, token: string): Promise<void> {
  await page.fill('#token', token);
  await page.click('#token-save');
  await page.waitForSelector('#token-state:has-text("token set")');
}

describe('fleet dashboard in Chromium', () => {
  it('the overview lists the example fleet with mode, weight and versions', async () => {
    const { page, errors } = await tab();
    await page.goto(`${served.url}/dashboard/`);
    await page.waitForSelector('#app[data-ready="overview"]');
    const ids = await page.$$eval('[data-testid="fleet"] tbody tr', (rows) =>
      rows.map((r) => r.getAttribute('data-agent')),
    );
    expect(ids).toEqual([
      'team-research/research-assistant',
      'team-research/summarizer',
      'team-support/support-bot',
      'team-support/triage-agent',
    ]);
    const sb = await page.$$eval('tr[data-agent="team-support/support-bot"] td', (tds) =>
      tds.map((td) => td.textContent?.trim()),
    );
    expect(sb.slice(0, 5)).toEqual(['team-support/support-bot', 'manual', '10%', '3', '4']);
    expect(await page.textContent('[data-testid="range"]')).toBe('1–4 of 4');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-overview.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('an agent page plots canary and stable scores with the threshold, and the weight history', async () => {
    const { page, errors } = await tab();
    await openAgent(page, 'team-support/support-bot');
    const charts = page.locator('[data-testid="score-chart"]');
    expect(await charts.count()).toBe(2);
    for (const metric of ['correctness/mean', 'safety/mean']) {
      const chart = page.locator(`[data-testid="score-chart"][data-metric="${metric}"]`);
      expect(await chart.locator('[data-testid="canary-count"]').textContent()).toBe('2 canary');
      expect(await chart.locator('[data-testid="stable-count"]').textContent()).toBe('3 stable');
      // uPlot drew a canvas and a legend naming both series and the threshold.
      expect(await chart.locator('canvas').count()).toBe(1);
      const legend = await chart.locator('.u-legend .u-series .u-label').allTextContents();
      expect(legend).toEqual(expect.arrayContaining(['canary', 'stable', 'threshold']));
    }
    const weights = page.locator('[data-testid="weight-chart"]');
    expect(await weights.locator('canvas').count()).toBe(1);
    expect(await weights.locator('[data-testid="weight-steps"]').textContent()).toMatch(/10%$/);
    expect(await page.getAttribute('[data-testid="verdict"]', 'data-outcome')).toBe('pass');
    await page.waitForSelector('[data-testid="grade"]');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-agent.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('"next step" with the token makes exactly one commit and the page shows it', async () => {
    const { page, errors } = await tab();
    await openAgent(page, 'team-research/research-assistant');
    await useToken(page, TOKEN);
    await page.waitForSelector('#app[data-ready]');
    const before = commitCount(served.repo.dir);
    await page.click('[data-testid="next-step"]');
    const result = await page.waitForSelector('[data-testid="action-result"][data-outcome]');
    expect(await result.getAttribute('data-outcome')).toBe('committed');
    const sha = await result.getAttribute('data-sha');
    expect(commitCount(served.repo.dir)).toBe(before + 1);
    expect(git(served.repo.dir, 'rev-parse', 'HEAD')).toBe(sha);
    expect(
      git(served.repo.dir, 'log', '-1', '--format=%(trailers:key=Agent-Canary-Actor,valueonly)'),
    ).toMatch(/^dashboard/);
    // The page re-read Git: the new weight and the commit at the top of its timeline.
    expect(await page.textContent('[data-testid="weight"]')).toBe('50%');
    expect(
      await page.getAttribute('[data-testid="timeline"] tbody tr:first-child', 'data-sha'),
    ).toBe(sha);
    expect(await page.textContent('[data-testid="weight-steps"]')).toMatch(/25% → 50% → 50%$/);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a step the policy refuses shows the reason and commits nothing', async () => {
    const { page, errors } = await tab();
    await openAgent(page, 'team-support/support-bot');
    await useToken(page, TOKEN);
    await page.waitForSelector('#app[data-ready]');
    expect(await page.textContent('[data-testid="next-step"]')).toBe('Next step → 25%');
    // Behind the page's back the canary goes down to 5%: its "next step" (25%) now skips 10%.
    await served.gitops.setWeight(await served.gitops.resolve('team-support/support-bot'), 5);
    const before = commitCount(served.repo.dir);
    await page.click('[data-testid="next-step"]');
    const result = await page.waitForSelector(
      '[data-testid="action-result"][data-outcome="refused"]',
    );
    expect(await result.getAttribute('data-http-status')).toBe('422');
    const text = (await result.textContent()) ?? '';
    expect(text).toContain('Refused By Policy');
    expect(text).toContain('weight 5% -> 25% refused by policy');
    expect(commitCount(served.repo.dir)).toBe(before);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('without a token the server refuses and nothing is committed', async () => {
    const { page, errors } = await tab();
    await openAgent(page, 'team-research/research-assistant');
    expect(await page.textContent('#token-state')).toBe('no token');
    const before = commitCount(served.repo.dir);
    await page.click('[data-testid="rollback"]');
    const result = await page.waitForSelector(
      '[data-testid="action-result"][data-outcome="refused"]',
    );
    expect(await result.getAttribute('data-http-status')).toBe('401');
    expect(await result.textContent()).toContain('Unauthorized');
    expect(commitCount(served.repo.dir)).toBe(before);
    expect(errors).toEqual([]);
    await page.close();
  });
});
