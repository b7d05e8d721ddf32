// Builds the page from data. Every string becomes a text node or an attribute value, never markup:
// guest consoles are attacker-controlled, and nothing here ever assigns innerHTML.
export function h(tag, attrs = {}, ...children) {
  const el = tag.startsWith('svg:')
    ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4))
    : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) {
      if (typeof v !== 'function') throw new Error(`${k} must be a function`);
      el.addEventListener(k.slice(2), v);
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

// Element.prototype.append, not el.append: a form's controls shadow its properties by their names
// (the boot form has a field named "append").
export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    Element.prototype.append.call(el, c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

export function ms(v) {
  return typeof v === 'number' ? `${v.toFixed(1)} ms` : 'not observed';
}

export function num(v, digits = 1) {
  return typeof v === 'number' ? v.toFixed(digits) : '-';
}

export function when(iso) {
  return iso ? new Date(iso).toLocaleString() : '-';
}

// A table from rows: columns are [heading, row => cell content].
export function table(columns, rows, attrs = {}) {
  return h('table', attrs,
    h('thead', {}, h('tr', {}, columns.map(([name]) => h('th', {}, name)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, columns.map(([, cell]) => h('td', {}, cell(r)))))));
}

export function errorBox(err) {
  return h('p', { class: 'error', role: 'alert' }, err.code ? `${err.code}: ${err.message}` : String(err.message || err));
}

// A download of data made in the page (the token cannot ride on a plain link).
export function downloadLink(label, filename, makeBlob) {
  return h('a', {
    href: '#', class: 'button', download: filename,
    onclick: async (ev) => {
      ev.preventDefault();
      const url = URL.createObjectURL(await makeBlob());
      const a = h('a', { href: url, download: filename });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    },
  }, label);
}
