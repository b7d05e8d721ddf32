// The dashboard's shell: asks who we are (and for a token when the daemon wants one), draws the
// navigation, and routes #/... to a page. A page's render returns a function that stops what it
// started (its stream, its timer) when another page is opened.
import * as api from './api.js';
import { h, clear, errorBox } from './dom.js';
import { runsPage } from './page_runs.js';
import { runPage } from './page_run.js';
import { bootPage } from './page_boot.js';
import { matricesPage, comparePage } from './page_matrices.js';
import { matrixPage } from './page_matrix.js';
import { imagesPage } from './page_images.js';

const view = document.getElementById('view');
const routes = [
  [/^#\/runs\/([0-9a-f]{16})$/, runPage],
  [/^#\/boot$/, bootPage],
  [/^#\/matrices$/, matricesPage],
  [/^#\/matrices\/([0-9a-f]{16})$/, matrixPage],
  [/^#\/compare\/([0-9a-f]{16})\/([0-9a-f]{16})$/, comparePage],
  [/^#\/images$/, imagesPage],
  [/^/, runsPage],
];
let session = null, stop = null;

function drawNav() {
  const nav = clear(document.getElementById('nav'));
  const links = [['#/runs', 'Runs'], ['#/matrices', 'Matrices'], ['#/images', 'Images and installs']];
  if (session.scope === 'full') links.splice(1, 0, ['#/boot', 'Start a boot']);
  nav.append(...links.map(([href, label]) => h('a', { href }, label)));
  const who = clear(document.getElementById('who'));
  if (session.auth_required) {
    who.append(`token: ${session.scope === 'full' ? 'full access' : 'read-only'} `,
               h('button', { type: 'button', onclick: () => { api.setToken(null); start(); } }, 'Forget token'));
  }
}

async function route() {
  if (stop) stop();
  stop = null;
  const hash = location.hash || '#/runs';
  for (const [re, page] of routes) {
    const m = re.exec(hash);
    if (!m) continue;
    clear(view);
    try {
      stop = await page(view, { canWrite: session.scope === 'full' }, ...m.slice(1));
    } catch (err) {
      if (err.status === 401) return start();
      console.error(err);
      view.append(errorBox(err));
    }
    return;
  }
}

function tokenPrompt(err) {
  clear(view);
  const input = h('input', { type: 'password', id: 'token', name: 'token', autocomplete: 'off', required: true, size: 44 });
  view.append(h('form', {
    class: 'token', onsubmit: (ev) => { ev.preventDefault(); api.setToken(input.value.trim()); start(); },
  },
  h('h2', {}, 'This daemon wants a token'),
  h('p', {}, 'Paste a bearer token (minix-analysis token create). It is kept for this browser tab only.'),
  h('label', { for: 'token' }, 'Token '), input, ' ', h('button', { type: 'submit' }, 'Use token'),
  err ? errorBox(err) : null));
  input.focus();
}

async function start() {
  try {
    session = await api.get('/api/v1/session');
  } catch (err) {
    if (err.status === 401) {
      document.getElementById('nav').replaceChildren();
      document.getElementById('who').replaceChildren();
      return tokenPrompt(api.token() ? err : null);
    }
    clear(view).append(errorBox(err));
    return;
  }
  drawNav();
  route();
}

window.addEventListener('hashchange', () => session && route());
start();
