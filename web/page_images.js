// Registered images with their facts, and installs with their phases; an install under way is
// asked for again every 2 s until it ends (installs have no event stream of their own).
import * as api from './api.js';
import { h, clear, ms, table, when, errorBox } from './dom.js';
import { statusBadge } from './page_runs.js';

const INSTALL_FINAL = new Set(['succeeded', 'failed', 'cancelled', 'interrupted']);
const mib = (n) => (typeof n === 'number' ? `${(n / 1048576).toFixed(1)} MiB` : '-');

export async function imagesPage(view, ctx) {
  const imagesBox = h('div', { id: 'images' }), installsBox = h('div', { id: 'installs' });
  view.append(h('h2', {}, 'Images'), imagesBox, h('h2', {}, 'Installs'), installsBox);
  const { images } = await api.get('/api/v1/images');
  imagesBox.append(images.length === 0 ? h('p', {}, 'No image registered (POST /api/v1/images, or minix-analysis image add).') : table([
    ['Image', (i) => i.id],
    ['Kind', (i) => i.kind],
    ['Release', (i) => i.release || '-'],
    ['Path', (i) => i.path],
    ['Size', (i) => mib(i.size)],
    ['Kernel', (i) => [i.kernel || '-', i.kernel_args ? ` ${i.kernel_args}` : '']],
    ['Modules', (i) => (i.modules ? `${i.modules.length}` : '-')],
    ['Warnings', (i) => (i.warnings || []).join('; ')],
    ['Registered', (i) => when(i.registered_at)],
  ], images));

  let timer = null;
  async function refresh() {
    let installs;
    try {
      ({ installs } = await api.get('/api/v1/installs'));
    } catch (err) {
      clear(installsBox).append(errorBox(err));
      return;
    }
    clear(installsBox).append(installs.length === 0 ? h('p', {}, 'No installs.') : table([
      ['Install', (i) => i.id],
      ['Status', (i) => statusBadge(i.status)],
      ['Now', (i) => (i.progress ? `${i.progress.step || ''} ${i.progress.text || ''}${typeof i.progress.t_ms === 'number' ? ` at ${ms(i.progress.t_ms)}` : ''}` : '-')],
      ['From image', (i) => i.image],
      ['Disk', (i) => `${i.disk_mb} MB${i.disk_removed ? ' (deleted)' : ''}`],
      ['Install run', (i) => (i.install_run ? h('a', { href: `#/runs/${i.install_run}` }, i.install_run) : '-')],
      ['Verification run', (i) => (i.verify_run ? h('a', { href: `#/runs/${i.verify_run}` }, i.verify_run) : '-')],
      ['Verified boot', (i) => (typeof i.verify_boot_ms === 'number' ? ms(i.verify_boot_ms) : '-')],
      ['Error', (i) => (i.error ? `${i.error.code}: ${i.error.message}` : '')],
      ['Created', (i) => when(i.created_at)],
    ], installs));
    const active = installs.some((i) => !INSTALL_FINAL.has(i.status));
    if (active && !timer) timer = setInterval(() => { if (!document.hidden) refresh(); }, 2000);
    if (!active && timer) { clearInterval(timer); timer = null; }
  }
  await refresh();
  return () => timer && clearInterval(timer);
}
