// The phase timeline of a run: one row per marker, a bar from the marker before it to this one (the
// phase), on a time axis from t0. Serial, symbol and scenario markers differ in colour and shape.
import { h } from './dom.js';

const ROW = 22, LEFT = 190, RIGHT = 70, TOP = 24;

function niceStep(span) {
  const raw = span / 6, p = 10 ** Math.floor(Math.log10(raw || 1));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) || p * 10;
}

export function timeline(markers, { width = 900 } = {}) {
  const sorted = [...markers].sort((a, b) => a.t_ms - b.t_ms);
  const end = Math.max(1, ...sorted.map((m) => m.t_ms));
  const plot = width - LEFT - RIGHT;
  const x = (t) => LEFT + (t / end) * plot;
  const height = TOP + sorted.length * ROW + 30;
  const svg = h('svg:svg', { viewBox: `0 0 ${width} ${height}`, width, height, class: 'timeline', role: 'img',
                             'aria-label': `phase timeline of ${sorted.length} markers` });
  const step = niceStep(end);
  for (let t = 0; t <= end + 1e-9; t += step) {
    svg.append(h('svg:line', { x1: x(t), x2: x(t), y1: TOP - 6, y2: height - 24, class: 'grid' }),
               h('svg:text', { x: x(t), y: height - 8, class: 'tick' }, `${+t.toFixed(3)} ms`));
  }
  sorted.forEach((m, i) => {
    const y = TOP + i * ROW + ROW / 2, from = i ? sorted[i - 1].t_ms : 0;
    const row = h('svg:g', { class: `marker source-${m.source}`, 'data-name': m.name },
      h('svg:title', {}, `${m.name} at ${m.t_ms} ms${Number.isInteger(m.instructions) ? `, ${m.instructions} instructions` : ''} (${m.source})${m.text ? ': ' + m.text : ''}`),
      h('svg:text', { x: LEFT - 8, y: y + 4, class: 'name' }, m.name),
      h('svg:rect', { x: x(from), y: y - 5, width: Math.max(1, x(m.t_ms) - x(from)), height: 10, class: 'phase' }),
      m.source === 'symbol'
        ? h('svg:rect', { x: x(m.t_ms) - 5, y: y - 5, width: 10, height: 10, class: 'dot' })
        : m.source === 'scenario'
          ? h('svg:path', { d: `M${x(m.t_ms)} ${y - 6} l6 6 l-6 6 l-6 -6 z`, class: 'dot' })
          : h('svg:circle', { cx: x(m.t_ms), cy: y, r: 5, class: 'dot' }),
      h('svg:text', { x: x(m.t_ms) + 8, y: y + 4, class: 'time' }, `${m.t_ms.toFixed(1)}`));
    svg.append(row);
  });
  const legend = h('p', { class: 'legend' },
    h('span', { class: 'source-serial' }, '● serial console'), ' ',
    h('span', { class: 'source-symbol' }, '■ symbol breakpoint'), ' ',
    h('span', { class: 'source-scenario' }, '◆ scenario step'));
  return h('div', { class: 'timeline-box' }, svg, legend);
}
