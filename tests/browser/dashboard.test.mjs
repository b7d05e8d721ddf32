// The dashboard in a real browser: Playwright (playwright-core from npm, pinned by the lock file)
// drives Debian's chromium against real daemons booting the MINIX console fixture under QEMU. One
// daemon without --auth, one with it. Screenshots go to $MA_SCREENSHOTS (build/browser-screenshots/).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const CHROMIUM = process.env.MA_CHROMIUM || '/usr/bin/chromium';
// Run as a program (meson runs `node dashboard.test.mjs`): exit 77 is meson's skip, said with why.
let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (err) {
  console.log(`SKIP: playwright-core is not installed (tests/bootstrap.sh runs npm ci in tests/browser): ${err.message}`);
  process.exit(77);
}
if (!existsSync(CHROMIUM)) {
  console.log(`SKIP: no chromium at ${CHROMIUM} (Debian's package chromium; tests/bootstrap.sh installs it)`);
  process.exit(77);
}
const FIXTURE = process.env.MA_FIXTURE_KERNEL;
const SHOTS = process.env.MA_SCREENSHOTS || join(tmpdir(), 'ma-browser-screenshots');
const fixtureBoot = (append, extra = {}) => ({ arch: 'i386', kernel: FIXTURE, append: `console=tty00 ${append}`.trim(),
                                              profile: 'minix-3.4', accel: 'tcg', timeout_s: 60, ...extra });
const daemons = [];
let browser, plain, authed, fullToken, readToken;
const metrics = {};

async function startDaemon(extraArgs = [], stateDir = mkdtempSync(join(tmpdir(), 'ma-browser-'))) {
  const d = { stateDir, log: '' };
  d.proc = spawn(process.env.MA_DAEMON, ['--listen', '127.0.0.1:0', '--state-dir', stateDir,
                                         '--image-dir', dirname(FIXTURE), ...extraArgs],
                 { stdio: ['ignore', 'ignore', 'pipe'] });
  d.base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('daemon did not start: ' + d.log)), 30000);
    d.proc.stderr.on('data', (chunk) => {
      d.log += chunk;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(d.log);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
  });
  daemons.push(d);
  return d;
}

async function api(d, method, path, body, token) {
  const headers = body ? { 'Content-Type': 'application/json' } : {};
  if (token) headers.Authorization = `Bearer ${token}`;
  const r = await fetch(d.base + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const text = await r.text();
  assert.ok(r.ok, `${method} ${path}: ${r.status} ${text}`);
  return JSON.parse(text);
}

async function waitRun(d, id, token, done = (r) => !['queued', 'running'].includes(r.status)) {
  for (let i = 0; i < 600; i++) {
    const r = await api(d, 'GET', `/api/v1/runs/${id}`, undefined, token);
    if (done(r)) return r;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`run ${id} did not get there`);
}

// A page that fails the test on any script error, console error (a CSP refusal is one) or HTTP error
// answer; the browser's own "Failed to load resource" line is replaced by the status and URL.
async function newPage(d, token) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  if (token) await context.addInitScript((t) => sessionStorage.setItem('minix-analysis-token', t), token);
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) page.errors.push(m.text());
  });
  page.on('response', (r) => { if (r.status() >= 400) page.errors.push(`${r.status()} ${new URL(r.url()).pathname}`); });
  return page;
}

async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

before(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  plain = await startDaemon();
  const authDir = mkdtempSync(join(tmpdir(), 'ma-browser-auth-'));
  const token = (args) => execFileSync(process.env.MA_CLI, ['--state-dir', authDir, 'token', 'create', ...args])
    .toString().trim().split('\n').at(-1);
  fullToken = token(['--name', 'full']);
  readToken = token(['--name', 'reader', '--read-only']);
  authed = await startDaemon(['--auth'], authDir);
});

after(async () => {
  await browser?.close();
  for (const d of daemons) {
    d.proc.kill('SIGTERM');
    const code = await new Promise((resolve) => d.proc.on('exit', resolve));
    rmSync(d.stateDir, { recursive: true, force: true });
    assert.equal(code, 0, d.log);
    assert.ok(!/LeakSanitizer|runtime error/.test(d.log), d.log);
  }
  mkdirSync(SHOTS, { recursive: true });
  writeFileSync(join(SHOTS, 'metrics.json'), JSON.stringify(metrics, null, 2));
});

test('/ serves the dashboard with a strict CSP, and everything it loads comes from the daemon', async () => {
  const page = await newPage(plain);
  const bytes = {};
  page.on('response', async (r) => {
    const u = new URL(r.url());
    assert.equal(u.origin, plain.base, `loaded from elsewhere: ${r.url()}`);
    if (u.pathname === '/' || u.pathname.startsWith('/assets/')) bytes[u.pathname] = (await r.body()).length;
  });
  const resp = await page.goto(plain.base + '/');
  const csp = resp.headers()['content-security-policy'];
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  await page.getByRole('heading', { name: 'Runs' }).waitFor();
  await page.waitForLoadState('networkidle');
  const kib = Object.values(bytes).reduce((a, b) => a + b, 0) / 1024;
  metrics.page_weight_kib = +kib.toFixed(1);
  metrics.page_files = Object.keys(bytes).length;
  console.log(`# page weight: ${kib.toFixed(1)} KiB in ${Object.keys(bytes).length} files (uncompressed)`);
  assert.ok(Object.keys(bytes).length >= 9, JSON.stringify(bytes));
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a boot started from the form shows its markers live, then its console and timeline', async () => {
  const page = await newPage(plain);
  await page.goto(plain.base + '/#/boot');
  await page.locator('#f-kernel').fill(FIXTURE);
  await page.locator('#f-append').fill('console=tty00 fixture=slow');
  await page.locator('#f-profile').selectOption('minix-3.4');
  await page.locator('#f-accel').selectOption('tcg');
  // The API's validation, shown next to its field.
  await page.locator('#f-cpus').fill('0');
  await page.locator('#start').click();
  await assert.doesNotReject(page.locator('#error-cpus').filter({ hasText: /cpus/ }).waitFor({ timeout: 5000 }));
  assert.deepEqual(page.errors.splice(0), ['400 /api/v1/boots']);
  await page.locator('#f-cpus').fill('1');
  await page.locator('#f-label').fill('from-the-form');
  await page.locator('#start').click();
  await page.waitForURL(/#\/runs\/[0-9a-f]{16}$/);
  const opened = Date.now();
  const id = page.url().split('/').at(-1);
  // Markers arrive one by one while the run is still running (fixture=slow: about 5 s).
  await page.locator('#timeline g.marker').first().waitFor({ timeout: 30000 });
  metrics.first_live_marker_ms = Date.now() - opened;
  console.log(`# first live marker ${metrics.first_live_marker_ms} ms after the run page opened`);
  const early = await page.locator('#timeline g.marker').count();
  const runNow = await api(plain, 'GET', `/api/v1/runs/${id}`);
  assert.equal(runNow.status, 'running', 'the first marker should show before the run ends');
  assert.match(await page.locator('#live-status').textContent(), /Live/);
  await shot(page, 'run-live');
  await page.locator('#run-head .status-succeeded').waitFor({ timeout: 60000 });
  const run = await api(plain, 'GET', `/api/v1/runs/${id}`);
  await page.locator('#timeline h3', { hasText: `(${run.markers.length} markers)` }).waitFor();
  assert.ok(early < run.markers.length, `markers at first sight ${early}, at the end ${run.markers.length}`);
  const names = await page.locator('#timeline g.marker').evaluateAll((gs) => gs.map((g) => g.dataset.name));
  assert.deepEqual(names, [...run.markers].sort((a, b) => a.t_ms - b.t_ms).map((m) => m.name));
  const consoleText = await page.locator('#console').textContent();
  const serial = await (await fetch(`${plain.base}/api/v1/runs/${id}/serial`)).text();
  assert.equal(consoleText.trimEnd(), serial.replace(/\r/g, '').trimEnd());
  assert.ok(await page.locator('#console .marker-line').count() >= run.markers.length - 1);
  assert.match(await page.locator('.facts').textContent(), /from-the-form/);
  assert.deepEqual(page.errors, []);
  await shot(page, 'run-finished');
  await page.close();
});

test('a running run is cancelled from its page', async () => {
  const { id } = await api(plain, 'POST', '/api/v1/boots', fixtureBoot('fixture=hang'));
  await waitRun(plain, id, undefined, (r) => r.status === 'running');
  const page = await newPage(plain);
  await page.goto(`${plain.base}/#/runs/${id}`);
  await page.locator('#cancel').click();
  await page.locator('#run-head .status-cancelled').waitFor({ timeout: 30000 });
  assert.equal((await api(plain, 'GET', `/api/v1/runs/${id}`)).status, 'cancelled');
  assert.equal(await page.locator('#cancel').count(), 0);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a run on the virtual clock shows its instruction count and whether it repeats', async () => {
  const { id } = await api(plain, 'POST', '/api/v1/boots', fixtureBoot('', { clock: 'virtual' }));
  const run = await waitRun(plain, id);
  assert.equal(run.status, 'succeeded');
  assert.ok(Number.isInteger(run.boot_instructions), JSON.stringify(run));
  const page = await newPage(plain);
  await page.goto(`${plain.base}/#/runs/${id}`);
  const facts = page.locator('dl.facts');
  await facts.locator('dt', { hasText: 'Virtual clock' }).waitFor();
  const text = await facts.textContent();
  assert.ok(text.includes(`${run.boot_instructions.toLocaleString('en')} guest instructions to shell_prompt`), text);
  assert.ok(text.includes('yes: no disk or CD, and the console takes no input'), text);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('guest output is shown as text, never as markup', async () => {
  const { id } = await api(plain, 'POST', '/api/v1/boots', fixtureBoot('fixture=html'));
  await waitRun(plain, id);
  const page = await newPage(plain);
  await page.goto(`${plain.base}/#/runs/${id}`);
  await page.locator('#console', { hasText: 'login:' }).waitFor();
  const text = await page.locator('#console').textContent();
  assert.ok(text.includes(`<script>document.title='pwned'</script><img src=x onerror="document.title='pwned'"><b>bold?</b>`), text);
  assert.equal(await page.title(), 'minix-analysis');
  assert.equal(await page.locator('#console img, #console script, #console b').count(), 0);
  assert.deepEqual(page.errors, []);
  await shot(page, 'run-html-as-text');
  await page.close();
});

test('a finished matrix shows the statistics and claims of its JSON report', async () => {
  const { id } = await api(plain, 'POST', '/api/v1/matrices', { ...fixtureBoot(''), cpus: [1, 2], samples: 2, label: 'browser' });
  for (let i = 0; i < 600; i++) {
    if ((await api(plain, 'GET', `/api/v1/matrices/${id}`)).status !== 'running') break;
    await new Promise((res) => setTimeout(res, 200));
  }
  const report = await api(plain, 'GET', `/api/v1/matrices/${id}/report?format=json`);
  const page = await newPage(plain);
  await page.goto(`${plain.base}/#/matrices`);
  await page.locator(`a[href="#/matrices/${id}"]`).click();
  await page.locator('#stats').waitFor();
  const rows = await page.locator('#stats tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  assert.equal(rows.length, report.configs.length);
  report.configs.forEach((c, i) => {
    assert.equal(rows[i][0], String(c.cpus));
    assert.equal(rows[i][2], String(c.succeeded));
    assert.equal(rows[i][4], c.boot_time_ms.mean.toFixed(3));
    assert.equal(rows[i][5], c.boot_time_ms.median.toFixed(3));
  });
  const claims = await page.locator('#claims tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  assert.equal(claims.length, report.claims.comparisons.length);
  report.claims.comparisons.forEach((c, i) => {
    assert.equal(claims[i][0], c.id);
    assert.equal(claims[i][2], c.status);
    assert.equal(claims[i][5], c.explanation);
  });
  await page.locator('#matrix-chart[src^="blob:"]').waitFor();
  assert.match(await page.locator('#scaling').textContent(), /ignored the extra vCPUs|every config/);
  await shot(page, 'matrix');
  // The compare view: this matrix against itself differs by nothing.
  await page.goto(`${plain.base}/#/compare/${id}/${id}`);
  await page.locator('#compare tbody tr').first().waitFor();
  assert.equal(await page.locator('#compare tbody tr').count(), report.configs.length);
  assert.match(await page.locator('#compare').textContent(), /no significant change/);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('runs can be filtered by status, profile and label', async () => {
  const page = await newPage(plain);
  await page.goto(`${plain.base}/#/runs`);
  await page.locator('#filter-label').fill('from-the-form');
  await page.locator('#filter-label').press('Enter');
  await page.locator('table.runs tbody tr').first().waitFor();
  await page.waitForFunction(() => [...document.querySelectorAll('table.runs tbody tr')].every((tr) => tr.cells[2].textContent === 'from-the-form'));
  assert.equal(await page.locator('table.runs tbody tr').count(), 1);
  await page.locator('#filter-label').fill('');
  await page.locator('#filter-label').press('Enter');
  await page.locator('#filter-status').selectOption('cancelled');
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('table.runs tbody tr')];
    return rows.length > 0 && rows.every((tr) => tr.cells[1].textContent === 'cancelled');
  });
  await page.locator('#filter-status').selectOption('');
  await page.locator('#filter-profile').selectOption('linux');
  await page.locator('text=No runs yet.').waitFor();
  await page.locator('#filter-profile').selectOption('');
  await page.locator('table.runs tbody tr').nth(3).waitFor();
  await shot(page, 'runs');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('with --auth: a token prompt, a wrong token gets the error, a read-only token gets no buttons', async () => {
  const { id } = await api(authed, 'POST', '/api/v1/boots', fixtureBoot('fixture=hang'), fullToken);
  await waitRun(authed, id, fullToken, (r) => r.status === 'running');
  const page = await newPage(authed);
  await page.goto(authed.base + '/');
  await page.locator('#token').waitFor();
  await page.locator('#token').fill('ma_not_a_token');
  await page.getByRole('button', { name: 'Use token' }).click();
  await page.locator('form.token .error', { hasText: 'unauthorized' }).waitFor();
  assert.deepEqual([...new Set(page.errors.splice(0))], ['401 /api/v1/session']);
  await shot(page, 'auth-wrong-token');
  await page.locator('#token').fill(readToken);
  await page.getByRole('button', { name: 'Use token' }).click();
  await page.getByRole('heading', { name: 'Runs' }).waitFor();
  assert.equal(await page.locator('nav a', { hasText: 'Start a boot' }).count(), 0);
  assert.match(await page.locator('#who').textContent(), /read-only/);
  await page.goto(`${authed.base}/#/runs/${id}`);
  await page.locator('#run-head .status-running').waitFor();
  // The live stream works with the token too: the markers of the running run are there.
  await page.locator('#timeline g.marker').first().waitFor();
  assert.equal(await page.locator('#cancel').count(), 0);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('minix-analysis-token')), readToken);
  assert.deepEqual(page.errors, []);
  await page.close();

  const full = await newPage(authed, fullToken);
  await full.goto(`${authed.base}/#/runs/${id}`);
  await full.locator('#cancel').click();
  await full.locator('#run-head .status-cancelled').waitFor({ timeout: 30000 });
  assert.equal(await full.locator('nav a', { hasText: 'Start a boot' }).count(), 1);
  assert.deepEqual(full.errors, []);
  await full.close();
});

test('images and installs page', async () => {
  const page = await newPage(plain);
  await page.goto(`${plain.base}/#/images`);
  await page.getByRole('heading', { name: 'Installs' }).waitFor();
  await page.locator('#installs', { hasText: 'No installs.' }).waitFor();
  assert.deepEqual(page.errors, []);
  await page.close();
});
