// A matrix: live progress over its event stream, the statistics per vCPU count, the claims with
// their statuses and reasons, the server's SVG chart, and every report format.
import * as api from './api.js';
import { h, clear, num, table, when, errorBox, downloadLink } from './dom.js';
import { statusBadge } from './page_runs.js';

const stat = (s, k) => (s && typeof s[k] === 'number' ? num(s[k], 3) : '-');

// The ratio of mean boot times with its standard error; an efficiency only where the report gives
// one (the guest brought up every vCPU).
function relative(r) {
  if (!r) return '-';
  const eff = typeof r.efficiency === 'number' ? `, efficiency ${num(r.efficiency, 3)} ± ${num(r.efficiency_se, 3)}` : '';
  return `${num(r.speedup, 3)} ± ${num(r.speedup_se, 3)}${eff}`;
}

function statsTable(m) {
  return table([
    ['vCPUs', (c) => c.cpus],
    ['Runs', (c) => c.runs],
    ['OK', (c) => c.succeeded],
    ['Failed', (c) => (c.failed ? `${c.failed} (${Object.entries(c.failures).map(([k, v]) => `${k} ${v}`).join(', ')})` : 0)],
    ['Mean (ms)', (c) => stat(c.boot_time_ms, 'mean')],
    ['Median', (c) => stat(c.boot_time_ms, 'median')],
    ['Min', (c) => stat(c.boot_time_ms, 'min')],
    ['Max', (c) => stat(c.boot_time_ms, 'max')],
    ['Stdev', (c) => stat(c.boot_time_ms, 'stdev')],
    ['95% CI', (c) => (c.boot_time_ms?.ci95 ? `[${num(c.boot_time_ms.ci95[0], 3)}, ${num(c.boot_time_ms.ci95[1], 3)}]` : '-')],
    ['Guest CPUs up', (c) => (c.guest_cpus_online ? `${c.guest_cpus_online.min}-${c.guest_cpus_online.max}` : 'unknown')],
    ['Relative to 1 vCPU', (c) => relative(c.relative_to_1_vcpu)],
  ], m.configs, { id: 'stats' });
}

function claimsTable(claims) {
  if (!claims) return h('p', {}, 'No claims file applies.');
  return h('div', {}, h('p', {}, `${claims.name}: ${claims.source}`), table([
    ['Claim', (c) => c.id],
    ['What it says', (c) => c.description],
    ['Status', (c) => h('span', { class: `claim claim-${c.status}` }, c.status)],
    ['Estimate', (c) => c.estimate ?? '-'],
    ['Measured', (c) => (typeof c.measured === 'number' ? num(c.measured, 3) : '-')],
    ['Why', (c) => c.explanation],
  ], claims.comparisons, { id: 'claims' }));
}

export async function matrixPage(view, ctx, id) {
  const box = h('div', { id: 'matrix' });
  const progress = h('p', { id: 'matrix-progress', 'aria-live': 'polite' });
  view.append(h('h2', {}, `Matrix ${id}`), progress, box);
  let live = null;

  async function draw() {
    const m = await api.get(`/api/v1/matrices/${id}`);
    progress.replaceChildren(statusBadge(m.status), ` ${m.progress.done} of ${m.progress.total} runs done`,
      ` (${m.progress.succeeded} succeeded, ${m.progress.failed} failed)`, ' ',
      h('progress', { max: m.progress.total, value: m.progress.done }));
    const chart = h('img', { alt: `boot time per vCPU count of matrix ${id}`, class: 'chart', id: 'matrix-chart' });
    const formats = ['json', 'text', 'csv', 'svg', 'latex'];
    const ext = { json: 'json', text: 'txt', csv: 'csv', svg: 'svg', latex: 'tex' };
    clear(box).append(
      h('p', {}, `Created ${when(m.created_at)}; ${m.isolation} isolation; accelerator ${m.accel.join(', ') || 'none yet'}.`),
      h('h3', {}, 'Boot time per vCPU count (ms, t0 to the terminal marker)'), statsTable(m),
      h('p', { id: 'scaling', class: m.scaling?.valid ? '' : 'note' }, m.scaling?.note || ''),
      h('h3', {}, 'Claims'), claimsTable(m.claims),
      h('h3', {}, 'Chart'), chart,
      h('h3', {}, 'Reports'), h('p', { class: 'actions' }, formats.map((f) => [downloadLink(f, `matrix-${id}.${ext[f]}`,
        () => api.blob(`/api/v1/matrices/${id}/report?format=${f}`)), ' '])),
      h('h3', {}, 'Runs'), h('p', {}, m.runs.map((r) => [h('a', { href: `#/runs/${r}` }, r), ' '])));
    if (m.progress.done > 0) chart.src = URL.createObjectURL(await api.blob(`/api/v1/matrices/${id}/report?format=svg`));
    return m;
  }

  const m = await draw();
  if (m.status === 'running') {
    live = api.stream(`/api/v1/matrices/${id}/events`, (name) => {
      if (name === 'progress' || name === 'status') draw().catch((err) => box.append(errorBox(err)));
    });
    live.done.catch((err) => { if (err.name !== 'AbortError') box.append(errorBox(err)); });
  }
  return () => live && live.close();
}
