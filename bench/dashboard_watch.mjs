// The bench's dashboard viewer: one chromium (Debian's, driven by playwright-core from
// tests/browser/node_modules) with the dashboard open, as a user has it. Each line on stdin is a
// run id: the page goes to that run (as a click on it would), follows it until it shows the final
// status, and "done" is printed. "ready" first, once the dashboard's runs page is up.
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const { chromium } = await import(join(root, 'tests', 'browser', 'node_modules', 'playwright-core', 'index.mjs'));
const browser = await chromium.launch({ executablePath: process.env.MA_CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
const page = await browser.newPage();
await page.goto(process.argv[2]);
await page.locator('table.runs, main p').first().waitFor();
console.log('ready');
for await (const id of createInterface({ input: process.stdin })) {
  if (!id) continue;
  await page.evaluate((run) => { location.hash = `#/runs/${run}`; }, id);
  await page.locator(`#run-head h2:text("Run ${id}")`).waitFor();
  await page.locator('#run-head .status:not(.status-queued):not(.status-running)').waitFor({ timeout: 300000 });
  await page.evaluate(() => { location.hash = '#/runs'; }); // back to the list, as between two looks
  await page.locator('table.runs').waitFor();
  console.log('done');
}
await browser.close();
