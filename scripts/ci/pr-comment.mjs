#!/usr/bin/env node
/**
 * Keeps one sticky comment on a pull request (GitHub) or merge request (GitLab) with the Markdown
 * summary of `agent-canary validate --base`: the first run creates it, later runs update the same
 * comment (found by a hidden marker), so a PR never collects one comment per push.
 *
 *   node scripts/ci/pr-comment.mjs --summary FILE --base REF [--provider github|gitlab] [--marker ID]
 *
 * GitHub: GITHUB_TOKEN (pull-requests: write), GITHUB_REPOSITORY, GITHUB_API_URL, and the PR number
 * from --pr or the event payload (GITHUB_EVENT_PATH). GitLab: GITLAB_TOKEN (a project or personal
 * access token with `api`; CI_JOB_TOKEN cannot write notes), CI_API_V4_URL, CI_PROJECT_ID,
 * CI_MERGE_REQUEST_IID. Plain fetch, no dependencies: it runs from the action's checkout.
 * Exit codes: 0 posted or updated, 2 bad usage or an API error (the message names the call).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

/** The comment body: marker, what was compared, then the summary. */
export function commentBody(summary, base, marker) {
  return `<!-- ${marker} -->\n**agent-canary validate**: this branch compared against \`${base}\`.\n\n${summary.trim()}\n`;
}

async function api(method, url, token, headers, body) {
  const res = await fetch(url, {
    method,
    headers: { ...headers(token), 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok)
    throw new Error(`${method} ${url} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  return res.json();
}

/** Every page of a list endpoint (Link: <...>; rel="next", as GitHub and GitLab both send). */
async function list(url, token, headers) {
  const all = [];
  let next = url;
  while (next) {
    const res = await fetch(next, { headers: headers(token) });
    if (!res.ok)
      throw new Error(`GET ${next} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
    all.push(...(await res.json()));
    next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
  }
  return all;
}

const providers = {
  github(env, pr) {
    const base = `${(env.GITHUB_API_URL ?? 'https://api.github.com').replace(/\/$/, '')}/repos/${env.GITHUB_REPOSITORY}`;
    return {
      headers: (t) => ({ authorization: `Bearer ${t}`, accept: 'application/vnd.github+json' }),
      token: env.GITHUB_TOKEN,
      list: `${base}/issues/${pr}/comments?per_page=100`,
      create: `${base}/issues/${pr}/comments`,
      update: (c) => ({ method: 'PATCH', url: `${base}/issues/comments/${c.id}` }),
    };
  },
  gitlab(env, mr) {
    const base = `${(env.CI_API_V4_URL ?? 'https://gitlab.com/api/v4').replace(/\/$/, '')}/projects/${encodeURIComponent(env.CI_PROJECT_ID ?? '')}/merge_requests/${mr}/notes`;
    return {
      headers: (t) => ({ 'private-token': t }),
      token: env.GITLAB_TOKEN,
      list: `${base}?per_page=100&sort=asc`,
      create: base,
      update: (c) => ({ method: 'PUT', url: `${base}/${c.id}` }),
    };
  },
};

/** Creates or updates the sticky comment; returns what it did. */
export async function upsertComment({ provider, number, summary, base, marker, env }) {
  const p = providers[provider](env, number);
  if (!p.token)
    throw new Error(`no token: set ${provider === 'github' ? 'GITHUB_TOKEN' : 'GITLAB_TOKEN'}`);
  const body = commentBody(summary, base, marker);
  const existing = (await list(p.list, p.token, p.headers)).find(
    (c) => typeof c.body === 'string' && c.body.startsWith(`<!-- ${marker} -->`),
  );
  if (existing) {
    const u = p.update(existing);
    await api(u.method, u.url, p.token, p.headers, { body });
    return { action: 'updated', id: existing.id };
  }
  const created = await api('POST', p.create, p.token, p.headers, { body });
  return { action: 'created', id: created.id };
}

function prNumber(provider, flag, env) {
  if (flag) return flag;
  if (provider === 'gitlab') return env.CI_MERGE_REQUEST_IID;
  try {
    const event = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH ?? '', 'utf8'));
    return String(event.pull_request?.number ?? event.number ?? '');
  } catch {
    return undefined;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const { values } = parseArgs({
      options: {
        summary: { type: 'string' },
        base: { type: 'string' },
        provider: { type: 'string', default: process.env.GITLAB_CI ? 'gitlab' : 'github' },
        pr: { type: 'string' },
        marker: { type: 'string', default: 'agent-canary-validate' },
      },
    });
    if (!values.summary || !values.base || !(values.provider in providers)) {
      throw new Error(
        'usage: pr-comment.mjs --summary FILE --base REF [--provider github|gitlab] [--pr N] [--marker ID]',
      );
    }
    const number = prNumber(values.provider, values.pr, process.env);
    if (!number)
      throw new Error('no pull request number: run on a pull_request event, or pass --pr N');
    const r = await upsertComment({
      provider: values.provider,
      number,
      summary: readFileSync(values.summary, 'utf8'),
      base: values.base,
      marker: values.marker,
      env: process.env,
    });
    console.log(`pr-comment: ${r.action} comment ${r.id} on ${values.provider} #${number}`);
  } catch (err) {
    console.error(`pr-comment: ${err.message}`);
    process.exitCode = 2;
  }
}
