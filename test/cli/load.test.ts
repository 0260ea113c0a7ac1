/**
 * `pseudonet load` as a user runs it (a child process): 2,000 homes through the whole chain
 * on the virtual clock, report.json with every figure and report.html that draws offline;
 * the pacing obeys --window and --rate. The histograms' quantiles against exact ones.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { Histogram } from '../../src/cli/load-measure.js';

const CHROMIUM = '/usr/bin/chromium';
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Runs `pseudonet load ...args --out DIR` (stdin closed, stderr not a TTY: no progress bar); the parsed report.json and DIR. */
async function load(args: string[]): Promise<{ report: Record<string, any>; dir: string; code: number; stderr: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'load-test-'));
  dirs.push(dir);
  const child = spawn(process.execPath, ['bin/pseudonet.js', 'load', 'topologies/default.yaml', ...args, '--out', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.resume();
  const code = await new Promise<number>((r) => child.on('exit', (c) => r(c ?? 1)));
  return { report: JSON.parse(readFileSync(path.join(dir, 'report.json'), 'utf8')), dir, code, stderr };
}

const KEYS = ['homes', 'online', 'failed', 'setupsPerSecond', 'cryptoFloorSetupsPerSecond', 'heapBytesPerSession', 'setupMs', 'phaseMs', 'cpuSecondsPerBox', 'virtualSeconds', 'wallSeconds'];
const PHASES = ['discovery', 'lcp', 'auth', 'lookup+tunnel+call', 'radius', 'ipcp', 'accounting-start'];

/** Within the histogram's resolution (32 log buckets per power of two: about 2.2 %). */
function near(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= expected * 0.03, `${what}: ${actual} ms, expected ${expected} ms`);
}

test('load --homes 2000: every home online through the whole chain, every figure in report.json, a report.html that draws offline', { timeout: 58_000 }, async () => {
  const { report: r, dir, code, stderr } = await load(['--homes', '2000']);
  assert.equal(code, 0, stderr);
  assert.equal(stderr.includes('\r'), false, 'no progress bar when stderr is not a TTY');
  for (const k of KEYS) assert.ok(k in r, `report.json has ${k}`);
  assert.equal(r.homes, 2000);
  assert.equal(r.online, 2000);
  assert.deepEqual(r.failed, {});
  assert.ok(r.setupsPerSecond > 0);
  assert.ok(r.cryptoFloorSetupsPerSecond > r.setupsPerSecond, `crypto floor ${r.cryptoFloorSetupsPerSecond} above ${r.setupsPerSecond}`);
  assert.ok(r.heapBytesPerSession > 0);
  const s = r.setupMs;
  assert.ok(s.p50 > 0 && s.p50 <= s.p90 && s.p90 <= s.p99 && s.p99 <= s.max, JSON.stringify(s));
  for (const p of PHASES) {
    assert.ok(r.phaseMs[p], `phase ${p} present`);
    assert.ok(r.phaseMs[p].p50 > 0 && r.phaseMs[p].p50 <= r.phaseMs[p].p99, `${p}: ${JSON.stringify(r.phaseMs[p])}`);
  }
  // From the default topology's one-way delays: PADI, PADO, PADR on the access link (0.5 ms
  // each) before the PADS leaves the sse (RFC 2516 §5); Access-Request one way on the ISP's
  // RADIUS link (1 ms) before the server answers; the same for Accounting-Request Start.
  near(r.phaseMs.discovery.p50, 1.5, 'discovery');
  near(r.phaseMs.radius.p50, 1, 'radius');
  near(r.phaseMs['accounting-start'].p50, 1, 'accounting-start');
  // A setup is at least its phases end to end.
  assert.ok(s.p50 >= r.phaseMs.discovery.p50 + r.phaseMs.lcp.p50 + r.phaseMs.ipcp.p50);
  for (const b of ['homes', 'sse', 'nte-a', 'nte-b', 'isp-a-radius', 'isp-b-radius']) assert.ok(r.cpuSecondsPerBox[b] > 0, `CPU of ${b}: ${r.cpuSecondsPerBox[b]}`);
  assert.ok(r.virtualSeconds > 0 && r.wallSeconds > 0);
  // Every home hung up at once in the teardown (2,000 homes, a window of 10,000), and every one went offline.
  assert.deepEqual({ homes: r.teardown.homes, offline: r.teardown.offline }, { homes: 2000, offline: 2000 });
  assert.ok(r.teardown.wallSeconds > 0 && r.buildWallSeconds > 0 && r.buildWallSeconds + r.teardown.wallSeconds < r.wallSeconds);
  assert.ok(r.cryptoOpsPerSession.md5 > 0 && r.cryptoOpsPerSession.hmacMd5 > 0 && r.cryptoOpsPerSession.hmacSha256 === 2);

  const html = readFileSync(path.join(dir, 'report.html'), 'utf8');
  const lib = readFileSync('node_modules/chart.js/dist/chart.umd.min.js', 'utf8');
  assert.ok(html.includes(lib.slice(0, 4000)), 'Chart.js inlined');
  assert.ok(html.includes('"online":2000'), 'the report data is in the page');
  assert.equal(/<script[^>]*\ssrc=/i.test(html), false, 'no script is loaded from anywhere');
  assert.equal(/<(link|img)[^>]*(href|src)=["']?https?:/i.test(html), false);

  // Opened from the file in a browser with nothing else reachable: it draws every chart, fetches nothing.
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  try {
    const page = await browser.newPage();
    const problems: string[] = [];
    const url = `file://${path.join(dir, 'report.html')}`;
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (q) => q.url() !== url && problems.push(`request: ${q.url()}`));
    await page.goto(url);
    const charts = await page.evaluate('Object.keys(Chart.instances).length');
    // One for setups per second, one for the setup time, one per phase.
    assert.equal(charts, 2 + PHASES.length);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});

test('load --rate and --window (two runs side by side): never more new setups in a second than the rate, never more homes in setup than the window', { timeout: 45_000 }, async () => {
  const [rate, window] = await Promise.all([load(['--homes', '200', '--rate', '50', '--window', '0']), load(['--homes', '200', '--window', '4'])]);
  {
    const { report: r, code, stderr } = rate;
    assert.equal(code, 0, stderr);
    assert.equal(r.online, 200);
    assert.ok(r.pacing.maxStartsPerSecond <= 50, `most starts in a second: ${r.pacing.maxStartsPerSecond}`);
    assert.ok(r.pacing.maxStartsPerSecond >= 45, 'the rate is used');
    // 200 starts, the first at 0 and one every 20 ms: the last no earlier than 3.98 s.
    assert.ok(r.virtualSeconds >= 199 / 50, `virtual ${r.virtualSeconds} s`);
    // --window 0: no window in the teardown either, every home hangs up at the same instant.
    assert.deepEqual({ offline: r.teardown.offline, maxHangingUp: r.teardown.maxHangingUp }, { offline: 200, maxHangingUp: 200 });
  }
  {
    const { report: r, code, stderr } = window;
    assert.equal(code, 0, stderr);
    assert.equal(r.online, 200);
    assert.ok(r.pacing.maxInSetup <= 4 && r.pacing.maxInSetup >= 1, `most in setup: ${r.pacing.maxInSetup}`);
    // The teardown keeps the window too, and every home still goes offline.
    assert.deepEqual({ homes: r.teardown.homes, offline: r.teardown.offline }, { homes: 200, offline: 200 });
    assert.ok(r.teardown.maxHangingUp <= 4 && r.teardown.maxHangingUp >= 1, `most hanging up at once: ${r.teardown.maxHangingUp}`);
    // Four at a time: at least half the homes took the median setup time or longer, so the
    // run lasts at least (homes / 2) × p50 / window.
    assert.ok(r.virtualSeconds * 1000 >= (100 * r.setupMs.p50) / 4, `virtual ${r.virtualSeconds} s, setup p50 ${r.setupMs.p50} ms`);
  }
});

test('histogram quantiles are within 2.2 % of the exact ones, max exact, nothing kept per sample', () => {
  const h = new Histogram();
  const xs: number[] = [];
  let seed = 7;
  for (let i = 0; i < 20_000; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const x = Math.exp((seed / 2 ** 32) * 12 - 4); // 0.018 ms .. 2981 ms, log-uniform
    xs.push(x);
    h.add(x);
  }
  xs.sort((a, b) => a - b);
  for (const q of [0.5, 0.9, 0.99]) {
    const exact = xs[Math.ceil(q * xs.length) - 1]!;
    assert.ok(Math.abs(h.quantile(q) - exact) <= exact * 0.022, `q${q}: ${h.quantile(q)} vs ${exact}`);
  }
  assert.equal(h.max, xs[xs.length - 1]);
  assert.equal(h.count, 20_000);
  h.add(Number.NaN);
  h.add(-1);
  assert.equal(h.count, 20_000, 'an unset start or a clock step back is not a sample');
});
