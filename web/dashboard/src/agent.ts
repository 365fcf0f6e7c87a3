/**
 * One agent: its state, the gate's verdict, the score and weight plots, the scorecard, the Git
 * timeline, and the buttons (next step, promote, roll back). The buttons call the canary API
 * with the tab's bearer token; the server makes the same checks as the CLI, and a refusal is
 * shown with its status and reason.
 */
import { api, ProblemError, token, type OperationAnswer, type Radar } from './api.js';
import { h, since, when } from './dom.js';
import { scoreChart, weightChart } from './charts.js';

/** The policy step after `weight`, or undefined at (or past) the last step. */
export function nextStep(r: Radar): number | undefined {
  return r.policy.steps.map((s) => s.weight).find((w) => w > r.weight);
}

function verdictBox(r: Radar): HTMLElement {
  if (!r.verdict)
    return h(
      'p',
      { class: 'muted', 'data-testid': 'verdict' },
      'no canary running: nothing to judge',
    );
  const v = r.verdict;
  return h(
    'div',
    {
      class: `verdict ${v.passed ? 'ok' : 'bad'}`,
      'data-testid': 'verdict',
      'data-outcome': v.outcome,
    },
    h('strong', {}, v.message),
    v.reasons.length > 0 ? h('ul', {}, ...v.reasons.map((x) => h('li', {}, x))) : null,
  );
}

function timeline(r: Radar): HTMLElement {
  return h(
    'table',
    { class: 'timeline', 'data-testid': 'timeline' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['When', 'Commit', 'Event', 'What', 'Evidence'].map((t) => h('th', { scope: 'col' }, t)),
      ),
    ),
    h(
      'tbody',
      {},
      ...r.timeline.map((c) =>
        h(
          'tr',
          { 'data-sha': c.sha },
          h('td', {}, when(c.at)),
          h('td', {}, h('code', {}, c.sha.slice(0, 8))),
          h('td', {}, (c.event ?? '').replace(/^AgentCanary/, '')),
          h('td', {}, c.subject),
          h(
            'td',
            { class: 'trailers' },
            ...Object.entries(c.trailers)
              .filter(([k]) => !['event', 'agent'].includes(k))
              .map(([k, v]) => h('span', { class: 'trailer' }, `${k}: ${v}`)),
          ),
        ),
      ),
    ),
  );
}

async function scorecardBox(id: string): Promise<HTMLElement> {
  try {
    const s = (await api.scorecard(id)).data;
    return h(
      'div',
      { class: 'scorecard', 'data-testid': 'scorecard' },
      h('span', { class: `grade grade-${s.grade}`, 'data-testid': 'grade' }, s.grade),
      h(
        'div',
        {},
        h(
          'p',
          {},
          `last ${s.window.duration}: gate pass rate ${s.gate.pass_rate === null ? '—' : `${Math.round(s.gate.pass_rate * 100)}%`} (${s.gate.passed}/${s.gate.judged}), ${s.promotions} promotion(s), ${s.rollbacks} rollback(s), output ${s.validation.valid ? 'valid' : `invalid (${s.validation.errors.length})`}`,
        ),
        s.reasons.length > 0
          ? h('ul', {}, ...s.reasons.map((x) => h('li', {}, `${x.cap}: ${x.reason}`)))
          : h('p', { class: 'muted' }, 'every rule passed'),
      ),
    );
  } catch (err) {
    if (err instanceof ProblemError)
      return h('p', { class: 'problem' }, `scorecard: ${err.message}`);
    throw err;
  }
}

export async function renderAgent(app: HTMLElement, id: string): Promise<void> {
  let radar: Radar;
  try {
    radar = (await api.radar(id)).data;
  } catch (err) {
    if (!(err instanceof ProblemError)) throw err;
    app.replaceChildren(
      h('p', {}, h('a', { href: '#/' }, '← fleet')),
      h('h1', {}, id),
      h('p', { class: 'problem', 'data-testid': 'problem' }, err.message),
    );
    return;
  }
  const status = h('p', { class: 'status', role: 'status', 'data-testid': 'action-result' });
  const act = async (label: string, run: () => Promise<OperationAnswer>): Promise<void> => {
    for (const b of buttons.querySelectorAll('button')) (b as HTMLButtonElement).disabled = true;
    status.className = 'status busy';
    status.textContent = `${label}…`;
    try {
      const answer = await run();
      await renderAgent(app, id);
      const fresh = app.querySelector('[data-testid="action-result"]') as HTMLElement;
      fresh.className = 'status ok';
      fresh.dataset['outcome'] = answer.commit ? 'committed' : 'unchanged';
      fresh.textContent = answer.commit
        ? `${label}: committed ${answer.commit.sha.slice(0, 8)} (${answer.detail ?? ''})`
        : `${label}: nothing changed (${answer.detail ?? ''})`;
      if (answer.commit) fresh.dataset['sha'] = answer.commit.sha;
    } catch (err) {
      if (!(err instanceof ProblemError)) throw err;
      status.className = 'status bad';
      status.dataset['outcome'] = 'refused';
      status.dataset['httpStatus'] = String(err.problem.status);
      status.textContent = `${label} refused: ${err.message}`;
      for (const b of buttons.querySelectorAll('button')) (b as HTMLButtonElement).disabled = false;
    }
  };
  const next = nextStep(radar);
  const canStep = radar.enabled && radar.mode === 'manual' && next !== undefined;
  const buttons = h(
    'div',
    { class: 'actions' },
    h(
      'button',
      {
        type: 'button',
        'data-testid': 'next-step',
        disabled: !canStep,
        title:
          radar.mode !== 'manual'
            ? 'Flagger owns the weight in progressive mode'
            : next === undefined
              ? 'at the last step: promote'
              : '',
        onclick: () =>
          void act(`next step (${radar.weight}% → ${next}%)`, () => api.setWeight(id, next!)),
      },
      next !== undefined ? `Next step → ${next}%` : 'Next step',
    ),
    h(
      'button',
      {
        type: 'button',
        'data-testid': 'promote',
        disabled: !radar.enabled,
        onclick: () => void act('promote', () => api.promote(id)),
      },
      'Promote',
    ),
    h(
      'button',
      {
        type: 'button',
        class: 'danger',
        'data-testid': 'rollback',
        disabled: !radar.enabled && radar.canary_version === null,
        onclick: () => void act('roll back', () => api.rollback(id)),
      },
      'Roll back',
    ),
    token()
      ? null
      : h('span', { class: 'muted' }, 'no API token set: the server will refuse changes'),
  );
  const charts = h('section', { class: 'charts', 'data-testid': 'charts' });
  const facts = h(
    'dl',
    { class: 'facts' },
    h('dt', {}, 'mode'),
    h('dd', {}, radar.mode),
    h('dt', {}, 'weight'),
    h('dd', { 'data-testid': 'weight' }, radar.enabled ? `${radar.weight}%` : '—'),
    h('dt', {}, 'stable'),
    h('dd', {}, radar.stable_version ?? '—'),
    h('dt', {}, 'canary'),
    h('dd', {}, radar.enabled ? (radar.canary_version ?? '?') : '—'),
    h('dt', {}, 'policy'),
    h(
      'dd',
      {},
      `${radar.policy.name}: ${radar.policy.steps.map((s) => `${s.weight}% (${s.hold})`).join(', ')}, then 100%`,
    ),
    h('dt', {}, 'in this step'),
    h(
      'dd',
      {},
      radar.weights.length > 1
        ? since(Date.now() - radar.weights[radar.weights.length - 2]!.t)
        : '—',
    ),
  );
  const scorecard = h('div', {}, h('p', { class: 'muted' }, 'scorecard…'));
  app.replaceChildren(
    h('p', {}, h('a', { href: '#/' }, '← fleet')),
    h('h1', { 'data-testid': 'agent-title' }, radar.agent_id),
    facts,
    buttons,
    status,
    h('h2', {}, 'Quality gate'),
    verdictBox(radar),
    ...radar.notes.map((n) => h('p', { class: 'muted small' }, n)),
    h('h2', {}, 'Scores: canary vs stable'),
    charts,
    h('h2', {}, 'Scorecard'),
    scorecard,
    h('h2', {}, 'Timeline (Git)'),
    timeline(radar),
  );
  for (const s of radar.scores) scoreChart(charts, s);
  if (radar.scores.length === 0)
    charts.append(h('p', { class: 'muted' }, 'no scores in MLflow yet'));
  weightChart(charts, radar.weights);
  scorecard.replaceChildren(await scorecardBox(id));
  app.dataset['ready'] = radar.head ?? 'none';
}
