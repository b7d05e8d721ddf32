// Start a boot: the form sends what the API takes, and the API's own validation decides; an error
// is shown next to the field it names (error.field).
import * as api from './api.js';
import { h, clear } from './dom.js';

function field(name, label, input, hint) {
  return h('div', { class: 'field', 'data-field': name },
    h('label', { for: `f-${name}` }, label), input, hint ? h('small', {}, hint) : null,
    h('span', { class: 'field-error', id: `error-${name}`, role: 'alert' }));
}

export async function bootPage(view, ctx) {
  if (!ctx.canWrite) {
    view.append(h('p', {}, 'This token is read-only: it may look at runs, not start them.'));
    return () => {};
  }
  const [{ profiles }, { images }] = await Promise.all([api.get('/api/v1/profiles'), api.get('/api/v1/images')]);
  const input = (name, attrs = {}) => h('input', { id: `f-${name}`, name, ...attrs });
  const select = (name, options, value) => h('select', { id: `f-${name}`, name },
    options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)));
  const form = h('form', { id: 'boot-form', class: 'boot', novalidate: true },
    field('image', 'Image', select('image', [['', 'none: give a kernel path'], ...images.map((i) =>
      [i.id, `${i.id} ${i.kind} ${i.release || ''} ${i.path}`])], '')),
    field('arch', 'Architecture', select('arch', ['i386', 'x86_64', 'arm', 'aarch64'].map((a) => [a, a]), 'i386')),
    field('kernel', 'Kernel', input('kernel', { size: 60, placeholder: '/absolute/path' }), 'a path in one of the daemon\'s --image-dir directories'),
    field('initrd', 'Initrd / modules', input('initrd', { size: 60 }), 'absolute paths, separated by commas'),
    field('append', 'Command line', input('append', { size: 60 })),
    field('profile', 'Profile', select('profile', profiles.map((p) => [p.name, p.name]), profiles[0]?.name)),
    field('cpus', 'vCPUs', input('cpus', { type: 'number', value: 1 })),
    field('memory_mb', 'Memory (MB)', input('memory_mb', { type: 'number', value: 256 })),
    field('accel', 'Accelerator', select('accel', [['auto', 'auto'], ['kvm', 'kvm'], ['tcg', 'tcg']], 'auto')),
    field('timeout_s', 'Timeout (s)', input('timeout_s', { type: 'number', value: 120 })),
    field('symbols', 'Symbol markers', input('symbols', { type: 'checkbox' }), 'breakpoints on the kernel functions the profile names'),
    field('label', 'Label', input('label', { size: 30 })),
    h('p', {}, h('button', { type: 'submit', id: 'start' }, 'Start the boot')),
    h('p', { class: 'error', id: 'form-error', role: 'alert' }));

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    for (const e of form.querySelectorAll('.field-error')) e.textContent = '';
    form.querySelector('#form-error').textContent = '';
    const v = (n) => form.elements[n].value.trim();
    const body = { arch: v('arch'), profile: v('profile'), accel: v('accel') };
    if (v('image')) body.image = v('image');
    if (v('kernel')) body.kernel = v('kernel');
    if (v('initrd')) body.initrd = v('initrd').split(',').map((s) => s.trim()).filter(Boolean);
    if (v('append')) body.append = v('append');
    if (v('label')) body.label = v('label');
    for (const n of ['cpus', 'memory_mb', 'timeout_s']) if (v(n) !== '') body[n] = Number(v(n));
    if (form.elements.symbols.checked) body.symbols = true;
    try {
      const started = await api.send('POST', '/api/v1/boots', body);
      location.hash = `#/runs/${started.id}`;
    } catch (err) {
      const slot = err.field && form.querySelector(`#error-${CSS.escape(err.field)}`);
      (slot || form.querySelector('#form-error')).textContent = `${err.code}: ${err.message}`;
    }
  });
  clear(view).append(h('h2', {}, 'Start a boot'), form);
  return () => {};
}
