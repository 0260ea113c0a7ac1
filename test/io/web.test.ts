/**
 * The web view in a real browser: Debian's headless Chromium, driven by playwright-core,
 * against `pseudonet run topologies/default.yaml --realtime --http 127.0.0.1:0` as a child
 * process. The page shows the three homes online; clicking home2's "down" takes it offline
 * in the table and in the API; the ladder of alice@isp-a.example shows PADI through IPCP and
 * the Accounting-Start; the topology graph is drawn. A screenshot is written to a temp
 * directory whose path the test prints.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CHROMIUM = '/usr/bin/chromium';
const out = mkdtempSync(path.join(tmpdir(), 'http-web-'));
const profile = mkdtempSync(path.join(tmpdir(), 'http-chromium-'));
let child: ChildProcess | undefined;
let browser: BrowserContext | undefined;

after(async () => {
  await browser?.close();
  if (child?.pid !== undefined && child.exitCode === null) child.kill('SIGTERM');
  rmSync(profile, { recursive: true, force: true });
  console.log(`web view test output (screenshot): ${out}`);
});

// The page's functions run in the browser; they are given as text (this project's TypeScript has no DOM types).

/** Starts the network and resolves with the URL it serves on. */
function startRun(): Promise<string> {
  child = spawn(process.execPath, [path.join(ROOT, 'bin/pseudonet.js'), 'run', path.join(ROOT, 'topologies/default.yaml'), '--realtime', '--duration', '10m', '--out', path.join(out, 'run'), '--http', '127.0.0.1:0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += String(d)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "http: serving on" line in 30 s; stderr: ${err}`)), 30_000);
    readline.createInterface({ input: child!.stdout! }).on('line', (l) => {
      const m = /^http: serving on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(l);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child!.on('exit', (code) => reject(new Error(`pseudonet run exited (${code}): ${err}`)));
  });
}

test('the web view: three homes online, "down" takes one offline in the table and the API, alice\'s ladder from PADI to the Accounting-Start', { timeout: 55_000 }, async () => {
  assert.ok(statSync(CHROMIUM, { throwIfNoEntry: false }), `${CHROMIUM} is missing: run scripts/deps.sh (Debian package chromium)`);
  const url = await startRun();
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 1100 },
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => !r.url().endsWith('/api/events') && problems.push(`request failed: ${r.url()}`));
  // Anything not from our own server would be a CDN: the page must work offline.
  page.on('request', (r) => !r.url().startsWith(url) && problems.push(`request off the server: ${r.url()}`));
  await page.goto(url);

  const state = (home: string): Promise<string> => page.locator(`#sessions tr[data-home="${home}"] td.state`).innerText();
  await page.waitForFunction(`document.querySelectorAll('#sessions tr.online').length === 3`, undefined, { timeout: 20_000 });
  for (const h of ['home1', 'home2', 'home3']) assert.equal(await state(h), 'online');
  // The topology graph: a node per box and per link, laid out by dagre.
  assert.equal(await page.locator('#topology g.node').count(), 11);
  assert.equal(await page.locator('#topology g.link').count(), 6);
  assert.match((await page.locator('#topology g.link[data-link="access"] text.fps').textContent())!, /frames\/s$/);

  await page.locator('#sessions tr[data-home="home2"] button.down').click();
  await page.waitForFunction(`document.querySelector('#sessions tr[data-home="home2"] td.state')?.textContent === 'down'`, undefined, { timeout: 10_000 });
  const api = (await (await fetch(`${url}api/sessions`)).json()) as { home: string; state: string; ip: string | null }[];
  const home2 = api.find((s) => s.home === 'home2')!;
  assert.deepEqual([home2.state, home2.ip], ['down', null]);
  assert.equal(api.find((s) => s.home === 'home1')!.state, 'online');

  await page.locator('#sessions tr[data-home="home1"] button.ladder').click();
  await page.waitForFunction(`/Acct-Status-Type Start/.test(document.querySelector('#ladder')?.textContent ?? '')`, undefined, { timeout: 10_000 });
  assert.match(await page.locator('#ladder-title').innerText(), /alice@isp-a\.example/);
  const labels = await page.locator('#ladder g.msg text').allTextContents();
  const at = (re: RegExp): number => labels.findIndex((l) => re.test(l));
  const padi = at(/PPPoED Active Discovery Initiation \(PADI\)/);
  const ipcp = at(/PPP IPCP Configuration Ack/);
  const start = at(/RADIUS Accounting-Request id=\d+ \(Acct-Status-Type Start\)/);
  assert.ok(padi >= 0 && padi < ipcp && ipcp < start, `PADI ${padi}, IPCP ${ipcp}, Accounting-Start ${start}:\n${labels.join('\n')}`);
  const columns = await page.locator('#ladder > text').allTextContents();
  assert.deepEqual(columns, ['home1', 'sse', 'carrier-radius', 'nte-a', 'isp-a-radius']);

  const shot = path.join(out, 'web-view.png');
  await page.screenshot({ path: shot, fullPage: true });
  assert.ok(statSync(shot).size > 10_000, 'a real screenshot');
  assert.deepEqual(problems, []);
});
