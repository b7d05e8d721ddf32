// One run: its facts and outcome in words, the phase timeline, the console (live while it runs),
// memory samples, trap counts or a syscall trace when it has them, cancel and downloads.
import * as api from './api.js';
import { h, clear, ms, table, when, errorBox, downloadLink } from './dom.js';
import { timeline } from './timeline.js';
import { cpusCell, statusBadge } from './page_runs.js';

const SHOWN_MAX = 1 << 20; // characters of a finished run's console kept in the page
const LIVE_LINES_MAX = 20000; // lines of a running one
const REDRAW_MS = 250; // live lines and markers are drawn at most this often

// fn runs now if it has not run for REDRAW_MS, else once when that time is up (leading-edge
// throttle: the first line or marker shows at once, a flood costs 4 redraws a second).
function throttled(fn) {
  let last = 0, timer = null;
  return () => {
    if (timer) return;
    const wait = last + REDRAW_MS - performance.now();
    const run = () => { timer = null; last = performance.now(); fn(); };
    if (wait <= 0) run();
    else timer = setTimeout(run, wait);
  };
}
const FINAL = new Set(['succeeded', 'failed', 'timeout', 'cancelled', 'interrupted']);

function facts(r) {
  const rows = [
    ['Status', statusBadge(r.status)],
    ['Label', r.label || '-'],
    ['Profile', r.profile],
    ['Guest', `${r.arch}, ${r.memory_mb} MB`],
    ['vCPUs', cpusCell(r)],
    ['Accelerator', r.accel ? `${r.accel} (asked: ${r.accel_requested})` : `not chosen yet (asked: ${r.accel_requested})`],
    ['Why this accelerator', r.accel_note || '-'],
    ['Boot time', r.boot_time_ms !== null ? `${ms(r.boot_time_ms)} (t0 to ${r.terminal_marker})` : 'not observed'],
    ['QEMU start', r.qemu_start_ms !== null ? ms(r.qemu_start_ms) : '-'],
    ['Created', when(r.created_at)],
    ['Finished', when(r.finished_at)],
    ['Host', r.host ? `${r.host.name} (${r.host.cpu_model}), ${r.host.qemu_version}` : '-'],
  ];
  if (r.clock === 'virtual') {
    const counted = r.clocks?.instructions || {};
    rows.push(['Virtual clock', r.boot_instructions !== null && r.boot_instructions !== undefined
      ? `${r.boot_instructions.toLocaleString('en')} guest instructions to ${r.terminal_marker} (-icount shift ${r.icount_shift})`
      : (FINAL.has(r.status) ? 'the terminal marker was not counted' : 'counted when the run ends')]);
    rows.push(['Counts repeatable', `${counted.repeatable ? 'yes' : 'no'}: ${counted.repeatable_because || '-'}`]);
  }
  if (r.slurm_job) rows.push(['Slurm job', r.slurm_job]);
  if (r.matrix_id) rows.push(['Matrix', h('a', { href: `#/matrices/${r.matrix_id}` }, r.matrix_id)]);
  return h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function outcome(r) {
  const parts = [];
  if (r.error) parts.push(h('p', { class: 'error', id: 'run-error' }, `The run ended with ${r.error.code}: ${r.error.message}`));
  if (r.missing_markers?.length) {
    parts.push(h('p', { id: 'missing' }, 'Not observed: ', r.missing_markers.join(', '),
      FINAL.has(r.status) ? ' (the guest never printed them in this run).' : ' (yet).'));
  }
  if (r.unobservable_markers?.length) {
    parts.push(h('details', { id: 'unobservable' }, h('summary', {}, `${r.unobservable_markers.length} phases the console cannot show`),
      h('ul', {}, r.unobservable_markers.map((u) => h('li', {}, `${u.name}: ${u.reason}`)))));
  }
  for (const n of r.notes || []) parts.push(h('p', { class: 'note' }, typeof n === 'string' ? n : JSON.stringify(n)));
  return h('section', { id: 'outcome' }, parts);
}

// The console: lines of GET .../serial, then the live serial events numbered after them.
// Lines are added to the page at most 4 times a second: a guest printing hundreds of lines a second
// costs a few layouts, not one per line (the browser often runs on the measuring host).
class Console {
  constructor() {
    this.pre = h('pre', { id: 'console', class: 'console' });
    this.batch = document.createDocumentFragment();
    this.flushSoon = throttled(() => this.flush());
    this.markerTexts = new Set();
    this.lines = 0;
    this.pending = [];
    this.loaded = false;
  }
  addMarker(m) {
    if (!m.text) return;
    this.markerTexts.add(m.text.trim());
    for (const el of [...this.pre.children, ...this.batch.children]) if (el.textContent.trim() === m.text.trim()) el.classList.add('marker-line');
  }
  line(text) {
    const clean = text.replace(/\r$/, '');
    this.batch.append(h('span', { class: this.markerTexts.has(clean.trim()) ? 'marker-line' : null }, clean + '\n'));
    this.lines++;
    this.flushSoon();
  }
  flush() {
    this.pre.append(this.batch);
    // A flooding guest: the page keeps the newest lines (the log keeps them all).
    for (let extra = this.pre.childElementCount - LIVE_LINES_MAX; extra > 0; extra--) this.pre.firstElementChild.remove();
  }
  load(textBody) {
    const parts = textBody.split('\n');
    const complete = parts.slice(0, -1); // the last part is an unfinished line: its event follows
    for (const l of complete) this.line(l);
    if (parts.at(-1) && this.pending === null) this.line(parts.at(-1));
    this.loaded = true;
    for (const ev of this.pending || []) this.event(ev);
    this.pending = [];
  }
  reset(textBody) {
    clear(this.pre);
    this.batch = document.createDocumentFragment();
    this.lines = 0;
    this.finish(textBody);
  }
  finish(textBody) { // a finished run: its whole log (its last MiB when longer), the last line too
    this.pending = null;
    if (textBody.length > SHOWN_MAX) {
      const tail = textBody.slice(textBody.length - SHOWN_MAX);
      this.pre.append(h('span', { class: 'note' }, `[the first ${textBody.length - tail.length} characters are not shown here: download the console]\n`));
      textBody = tail.slice(tail.indexOf('\n') + 1);
    }
    this.load(textBody);
    this.flush();
  }
  event(ev) {
    if (!this.loaded) { this.pending.push(ev); return; }
    if (ev.n > this.lines) this.line(ev.line);
  }
}

async function extras(r, box) {
  const mem = await api.get(`/api/v1/runs/${r.id}/memory`);
  if (mem.samples?.length) {
    const img = h('img', { alt: `memory of run ${r.id}`, class: 'chart', id: 'memory-chart' });
    box.append(h('h3', {}, `Memory (${mem.samples.length} samples, ${mem.source})`), img);
    img.src = URL.createObjectURL(await api.blob(`/api/v1/runs/${r.id}/memory?format=svg`));
  }
  const traps = await api.get(`/api/v1/runs/${r.id}/traps`).catch(() => null);
  if (traps?.enabled && traps.totals?.length) {
    const cols = Object.keys(traps.totals[0]);
    box.append(h('h3', {}, 'Trap counts'), table(cols.map((c) => [c, (t) => String(t[c] ?? '')]), traps.totals, { id: 'traps' }));
  }
  const { traces } = await api.get('/api/v1/traces');
  const trace = traces.find((t) => t.run === r.id);
  if (trace) {
    const full = await api.get(`/api/v1/traces/${trace.id}`);
    box.append(h('h3', {}, `Syscall trace of ${full.command} (${full.tracer}), exit ${full.exit_status ?? '-'}`),
      full.table?.syscalls ? table([['Call', (s) => s.name], ['Calls', (s) => s.calls], ['Errors', (s) => s.errors],
        ['Share', (s) => `${(100 * s.share).toFixed(1)} %`]], full.table.syscalls, { id: 'trace' }) : h('p', {}, 'No table.'));
  }
  if (traps?.enabled) for (const n of traps.notes || []) box.append(h('p', { class: 'note' }, n));
}

export async function runPage(view, ctx, id) {
  let r = await api.get(`/api/v1/runs/${id}`);
  let live = null;
  const markers = [...r.markers];
  const con = new Console();
  const head = h('div', { id: 'run-head' });
  const tl = h('section', { id: 'timeline' });
  const status = h('p', { id: 'live-status', 'aria-live': 'polite' });
  const extraBox = h('section', { id: 'extras' });

  function drawHead() {
    const actions = h('p', { class: 'actions' },
      downloadLink('Download console', `${r.id}.log`, () => api.blob(`/api/v1/runs/${r.id}/serial`)),
      ' ', downloadLink('Download JSON', `${r.id}.json`, async () =>
        new Blob([JSON.stringify(await api.get(`/api/v1/runs/${r.id}`), null, 2)], { type: 'application/json' })));
    if (ctx.canWrite && !FINAL.has(r.status)) {
      actions.append(' ', h('button', {
        type: 'button', id: 'cancel', class: 'danger',
        onclick: async (ev) => {
          ev.target.disabled = true;
          try { await api.send('DELETE', `/api/v1/runs/${r.id}`); } catch (err) { actions.append(errorBox(err)); }
        },
      }, 'Cancel this run'));
    }
    clear(head).append(h('h2', {}, `Run ${r.id}`), facts(r), outcome(r), actions);
  }
  function drawTimeline() {
    clear(tl).append(h('h3', {}, `Phase timeline (${markers.length} markers)`),
      markers.length ? timeline(markers) : h('p', {}, 'No marker observed yet.'));
  }
  const timelineSoon = throttled(drawTimeline);
  drawHead();
  drawTimeline();
  markers.forEach((m) => con.addMarker(m));
  view.append(head, status, tl, extraBox, h('h3', {}, 'Console'), con.pre);

  async function reload() {
    r = await api.get(`/api/v1/runs/${id}`);
    markers.splice(0, markers.length, ...r.markers);
    drawHead();
    drawTimeline();
    status.textContent = '';
    const whole = await api.text(`/api/v1/runs/${id}/serial`).catch(() => null);
    if (whole !== null) con.reset(whole); // the log is the record: it replaces what the stream showed
    extras(r, clear(extraBox)).catch((err) => extraBox.append(errorBox(err)));
  }

  if (FINAL.has(r.status)) {
    con.finish(await api.text(`/api/v1/runs/${id}/serial`).catch(() => ''));
    extras(r, extraBox).catch((err) => extraBox.append(errorBox(err)));
    return () => {};
  }
  status.textContent = 'Live: following this run.';
  const seen = new Set(markers.map((m) => `${m.name}@${m.t_ms}`));
  live = api.stream(`/api/v1/runs/${id}/events`, (name, data) => {
    if (name === 'marker' && !seen.has(`${data.name}@${data.t_ms}`)) {
      seen.add(`${data.name}@${data.t_ms}`);
      markers.push(data);
      con.addMarker(data);
      timelineSoon();
    } else if (name === 'serial') {
      con.event(data);
    } else if (name === 'status' && data.status !== r.status) {
      r.status = data.status;
      drawHead();
    }
  }, () => api.text(`/api/v1/runs/${id}/serial`).then((t) => con.load(t), () => con.load('')));
  // A run on Slurm boots on a node: its stream gives what is stored and ends while the run is still
  // out. The page then asks for it every 5 s until it has ended.
  let timer = null;
  const followed = () => reload().then(() => {
    if (FINAL.has(r.status)) return;
    status.textContent = r.slurm_job ? `On Slurm (job ${r.slurm_job}): asked again every 5 s.` : 'Asked again every 5 s.';
    timer = setTimeout(followed, 5000);
  });
  live.done.then(followed, (err) => { if (err.name !== 'AbortError') status.replaceChildren(errorBox(err)); });
  return () => { live.close(); clearTimeout(timer); };
}
