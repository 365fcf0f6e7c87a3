/**
 * The dashboard page: `#/` the fleet overview, `#/agent/<namespace>/<name>` one agent. Served by
 * the gate server with the APIs it reads; everything is same-origin and works offline.
 */
import { setToken, token } from './api.js';
import { renderOverview } from './overview.js';
import { renderAgent } from './agent.js';
import { h } from './dom.js';

const app = document.getElementById('app')!;

async function route(): Promise<void> {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path = '/', query = ''] = hash.split('?');
  delete app.dataset['ready'];
  const where = document.getElementById('where')!;
  try {
    const m = /^\/agent\/(.+)$/.exec(path);
    if (m) {
      const id = decodeURIComponent(m[1]!);
      where.textContent = id;
      document.title = `${id} · agent-canary`;
      await renderAgent(app, id);
    } else {
      where.textContent = 'fleet';
      document.title = 'agent-canary fleet';
      await renderOverview(app, new URLSearchParams(query));
      app.dataset['ready'] = 'overview';
    }
  } catch (err) {
    app.replaceChildren(h('p', { class: 'problem', 'data-testid': 'problem' }, String(err)));
  }
}

function tokenForm(): void {
  const form = document.getElementById('token-form') as HTMLFormElement;
  const input = document.getElementById('token') as HTMLInputElement;
  const state = document.getElementById('token-state')!;
  const show = (): void => {
    state.textContent = token() ? 'token set for this tab' : 'no token';
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    setToken(input.value.trim() || null);
    input.value = '';
    show();
    void route();
  });
  document.getElementById('token-forget')!.addEventListener('click', () => {
    setToken(null);
    show();
    void route();
  });
  show();
}

tokenForm();
window.addEventListener('hashchange', () => void route());
void route();
