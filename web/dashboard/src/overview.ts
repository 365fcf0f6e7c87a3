/**
 * The fleet overview: one row per agent (mode, weight, stable and canary versions, last verdict,
 * time in step), paged on the server (50 rows a page), filtered by id.
 */
import { api, ProblemError, type AgentRow } from './api.js';
import { h, since } from './dom.js';

export const PAGE_SIZE = 50;

function verdictCell(r: AgentRow): HTMLElement {
  if (!r.last_verdict) return h('span', { class: 'muted' }, '—');
  const v = r.last_verdict.verdict;
  const cls = /^(pass|passed|approve)/i.test(v) ? 'ok' : /^(fail|reject)/i.test(v) ? 'bad' : '';
  return h('span', { class: `pill ${cls}`, title: r.last_verdict.sha.slice(0, 12) }, v);
}

function weightCell(r: AgentRow): HTMLElement {
  if (!r.enabled) return h('span', { class: 'muted' }, '—');
  const bar = h('span', { class: 'weight-bar' });
  const fill = h('span', { class: 'weight-fill' });
  fill.style.width = `${Math.max(0, Math.min(100, r.weight))}%`;
  bar.append(fill);
  return h('span', { class: 'weight' }, bar, `${r.weight}%`);
}

function row(r: AgentRow): HTMLElement {
  const href = `#/agent/${encodeURIComponent(r.id)}`;
  return h(
    'tr',
    { 'data-agent': r.id },
    h(
      'td',
      {},
      h('a', { href }, r.id),
      r.error ? h('span', { class: 'pill bad', title: r.error }, 'error') : null,
    ),
    h('td', {}, r.mode ?? '—'),
    h('td', {}, weightCell(r)),
    h('td', {}, r.stable_version ?? '—'),
    h('td', {}, r.enabled ? (r.canary_version ?? '?') : h('span', { class: 'muted' }, '—')),
    h('td', {}, verdictCell(r)),
    h('td', {}, since(r.time_in_step_ms)),
    h(
      'td',
      { class: 'muted' },
      r.last_event ? r.last_event.event.replace(/^AgentCanary/, '') : '—',
    ),
  );
}

export async function renderOverview(app: HTMLElement, params: URLSearchParams): Promise<void> {
  const offset = Math.max(0, Number(params.get('offset') ?? 0) || 0);
  const q = params.get('q') ?? '';
  const page = await api.agents(offset, PAGE_SIZE, q).catch((err: unknown) => {
    if (err instanceof ProblemError) return err;
    throw err;
  });
  if (page instanceof ProblemError) {
    app.replaceChildren(
      h('h1', {}, 'Fleet'),
      h('p', { class: 'problem', 'data-testid': 'problem' }, page.message),
    );
    return;
  }
  const go = (o: number, text = q): void => {
    location.hash = `#/?offset=${o}&q=${encodeURIComponent(text)}`;
  };
  const filter = h('input', {
    type: 'search',
    placeholder: 'filter by namespace/name',
    value: q,
    'aria-label': 'filter agents',
    'data-testid': 'filter',
  }) as HTMLInputElement;
  filter.addEventListener('change', () => go(0, filter.value.trim()));
  const first = page.total === 0 ? 0 : page.offset + 1;
  const last = page.offset + page.data.length;
  const pager = h(
    'div',
    { class: 'pager' },
    h(
      'button',
      {
        type: 'button',
        disabled: page.offset === 0,
        onclick: () => go(Math.max(0, page.offset - PAGE_SIZE)),
      },
      '← previous',
    ),
    h('span', { 'data-testid': 'range' }, `${first}–${last} of ${page.total}`),
    h(
      'button',
      { type: 'button', disabled: last >= page.total, onclick: () => go(page.offset + PAGE_SIZE) },
      'next →',
    ),
  );
  app.replaceChildren(
    h('div', { class: 'head' }, h('h1', {}, 'Fleet'), filter, pager),
    h(
      'table',
      { class: 'fleet', 'data-testid': 'fleet' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...[
            'Agent',
            'Mode',
            'Weight',
            'Stable',
            'Canary',
            'Last verdict',
            'Time in step',
            'Last event',
          ].map((t) => h('th', { scope: 'col' }, t)),
        ),
      ),
      h('tbody', {}, ...page.data.map(row)),
    ),
    h('p', { class: 'muted small' }, `Git HEAD ${page.head?.slice(0, 12) ?? '(none)'}`),
  );
}
