// Matrices: the list (kept live like the runs), and the Welch comparison of two of them.
import * as api from './api.js';
import { h, clear, num, table, when, errorBox } from './dom.js';
import { statusBadge } from './page_runs.js';

export async function matricesPage(view) {
  const body = h('div', { id: 'matrices-table' });
  const before = h('select', { id: 'compare-before' }), after = h('select', { id: 'compare-after' });
  const compare = h('form', {
    class: 'compare', onsubmit: (ev) => {
      ev.preventDefault();
      if (before.value && after.value) location.hash = `#/compare/${before.value}/${after.value}`;
    },
  }, h('label', {}, 'Compare ', before), h('label', {}, ' against baseline ', after), ' ', h('button', { type: 'submit' }, 'Compare'));
  view.append(h('h2', {}, 'Matrices'), body, h('h3', {}, 'Compare two matrices (Welch\'s t test per vCPU count)'), compare);

  let last = '';
  async function refresh() {
    let list;
    try {
      ({ matrices: list } = await api.get('/api/v1/matrices?limit=100'));
    } catch (err) {
      clear(body).append(errorBox(err));
      return;
    }
    const key = JSON.stringify(list.map((m) => [m.id, m.status, m.done]));
    if (key === last) return;
    last = key;
    clear(body).append(list.length === 0 ? h('p', {}, 'No matrices yet.') : table([
      ['Matrix', (m) => h('a', { href: `#/matrices/${m.id}` }, m.id)],
      ['Status', (m) => statusBadge(m.status)],
      ['Progress', (m) => h('progress', { max: m.total, value: m.done }, `${m.done}/${m.total}`), ],
      ['Runs', (m) => `${m.done} of ${m.total}`],
      ['vCPUs', (m) => (m.request.cpus || []).join(', ')],
      ['Samples', (m) => m.request.samples],
      ['Profile', (m) => m.request.profile || '-'],
      ['Label', (m) => m.request.label || ''],
      ['Created', (m) => when(m.created_at)],
    ], list, { class: 'matrices' }));
    const options = list.map((m) => h('option', { value: m.id }, `${m.id} (${m.request.label || m.request.profile || ''}, ${when(m.created_at)})`));
    const keep = [after.value, before.value];
    clear(after).append(...options.map((o) => o.cloneNode(true)));
    clear(before).append(...options);
    if (keep[0]) after.value = keep[0];
    if (keep[1]) before.value = keep[1];
  }
  await refresh();
  // A matrix's list entry changes once per run; its own page follows it live over SSE.
  const timer = setInterval(() => { if (!document.hidden) refresh(); }, 5000);
  return () => clearInterval(timer);
}

export async function comparePage(view, ctx, a, b) {
  const c = await api.get(`/api/v1/matrices/${b}/compare/${a}?format=json`);
  view.append(h('h2', {}, 'Comparison'),
    h('p', {}, h('a', { href: `#/matrices/${a}` }, a), ' against baseline ', h('a', { href: `#/matrices/${b}` }, b),
      `, Welch's t test at alpha ${c.alpha}.`),
    table([
      ['vCPUs', (r) => r.cpus],
      ['Baseline mean (ms)', (r) => num(r.mean_before_ms, 3)],
      ['Mean (ms)', (r) => num(r.mean_after_ms, 3)],
      ['Difference (ms)', (r) => num(r.difference_ms, 3)],
      ['Difference', (r) => (typeof r.difference_pct === 'number' ? `${r.difference_pct.toFixed(2)} %` : '-')],
      ['95% CI of the difference', (r) => (r.difference_ci95 ? `[${num(r.difference_ci95[0], 3)}, ${num(r.difference_ci95[1], 3)}]` : '-')],
      ['p', (r) => num(r.test?.p, 4)],
      ['Verdict', (r) => r.verdict + (r.regression ? ' (regression)' : '')],
    ], c.configs, { id: 'compare' }));
  return () => {};
}
