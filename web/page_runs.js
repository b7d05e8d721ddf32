// Runs, newest first, kept live: the list is asked for again every 2 s with its ETag, and the daemon
// answers 304 without a body while no run changed (and not at all while the tab is hidden).
import * as api from './api.js';
import { h, clear, ms, table, when, errorBox } from './dom.js';

const STATUSES = ['queued', 'running', 'succeeded', 'failed', 'timeout', 'cancelled', 'interrupted'];

export function cpusCell(r) {
  if (r.guest_cpus_online === null || r.guest_cpus_online === undefined) return `${r.cpus} requested`;
  const note = r.guest_cpus_online < r.cpus ? ' (guest ignored the rest)' : '';
  return `${r.cpus} requested, ${r.guest_cpus_online} up${note}`;
}

export function statusBadge(status) {
  return h('span', { class: `status status-${status}` }, status);
}

export async function runsPage(view) {
  const filters = { status: '', profile: '', label: '' };
  const { profiles } = await api.get('/api/v1/profiles');
  const body = h('div', { id: 'runs-table' });
  const select = (name, options) => h('select', {
    name, id: `filter-${name}`,
    onchange: (ev) => { filters[name] = ev.target.value; state.etag = null; refresh(); },
  }, h('option', { value: '' }, 'any'), options.map((o) => h('option', { value: o }, o)));
  const label = h('input', { type: 'search', id: 'filter-label', placeholder: 'exact label', size: 16 });
  label.addEventListener('change', () => { filters.label = label.value.trim(); state.etag = null; refresh(); });
  view.append(h('h2', {}, 'Runs'),
    h('div', { class: 'filters' },
      h('label', {}, 'Status ', select('status', STATUSES)), ' ',
      h('label', {}, 'Profile ', select('profile', profiles.map((p) => p.name))), ' ',
      h('label', {}, 'Label ', label)),
    body);

  const state = { etag: null };
  async function refresh() {
    const q = new URLSearchParams({ limit: '100' });
    for (const [k, v] of Object.entries(filters)) if (v) q.set(k, v);
    let page;
    try {
      page = await api.getIfChanged(`/api/v1/runs?${q}`, state);
    } catch (err) {
      clear(body).append(errorBox(err));
      return;
    }
    if (!page) return;
    clear(body).append(page.runs.length === 0 ? h('p', {}, 'No runs yet.') : table([
      ['Run', (r) => h('a', { href: `#/runs/${r.id}` }, r.id)],
      ['Status', (r) => statusBadge(r.status)],
      ['Label', (r) => r.label || ''],
      ['Profile', (r) => r.profile],
      ['Arch', (r) => r.arch],
      ['Boot time', (r) => (r.boot_time_ms !== null ? ms(r.boot_time_ms) : r.status === 'succeeded' ? 'not observed' : '-')],
      ['Accelerator', (r) => r.accel || `${r.accel_requested} (not started)`],
      ['vCPUs', cpusCell],
      ['Created', (r) => when(r.created_at)],
    ], page.runs, { class: 'runs' }));
  }
  await refresh();
  const timer = setInterval(() => { if (!document.hidden) refresh(); }, 2000);
  return () => clearInterval(timer);
}
