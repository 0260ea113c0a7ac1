/**
 * The load run's two files: `report.json` (the figures, keys as docs/load.md lists them) and
 * `report.html` (setups per second over time and each phase's latency distribution), with
 * Chart.js read from node_modules and inlined, so the page opens offline and loads nothing.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PHASES, type CryptoOps, type Histogram, type SetupTracker } from './load-measure.js';

export interface LoadReport {
  homes: number;
  online: number;
  failed: Record<string, number>;
  setupsPerSecond: number;
  cryptoFloorSetupsPerSecond: number;
  heapBytesPerSession: number;
  setupMs: { p50: number; p90: number; p99: number; max: number };
  phaseMs: Record<string, { p50: number; p99: number }>;
  cpuSecondsPerBox: Record<string, number>;
  virtualSeconds: number;
  wallSeconds: number;
  // ---- beyond the contract (docs/load.md)
  mode: 'virtual' | 'realtime';
  /** What setupMs and phaseMs are measured on. */
  clock: 'virtual' | 'wall';
  /** Wall seconds from the first PADI to the last home online (setupsPerSecond's denominator). */
  setupWallSeconds: number;
  /** Per home, PADI → online on the wall clock (in virtual mode: how long it waited while the others were set up). */
  setupWallMs: { p50: number; p90: number; p99: number; max: number };
  /** Virtual clock: wall seconds spent building the network (topology, boxes, links). */
  buildWallSeconds?: number;
  /** Virtual clock: the online homes hung up, at most the window at once; how many went offline, the wall seconds until the last CDN and Accounting-Stop settled, and the most hung up and not yet offline at once. */
  teardown?: { homes: number; offline: number; wallSeconds: number; maxHangingUp: number };
  cryptoOpsPerSession: CryptoOps;
  pacing: { rate: number; window: number; maxInSetup: number; maxStartsPerSecond: number };
  heap: { baselineBytes: number; onlineBytes: number; exact: boolean; fixedBytes?: number; perSessionBeyondFixed?: number };
  /** getrusage CPU of this process over the setup phase. */
  processCpuSeconds: number;
  /** Process CPU over wall time of the setup phase, by which the boxes' thread times were scaled (1 in realtime). */
  cpuScale: number;
  notes: string[];
}

const r3 = (x: number): number => Math.round(x * 1000) / 1000;

export function quantiles(h: Histogram): { p50: number; p90: number; p99: number; max: number } {
  return { p50: r3(h.quantile(0.5)), p90: r3(h.quantile(0.9)), p99: r3(h.quantile(0.99)), max: r3(h.max) };
}

/** phaseMs: every phase the run could see, p50 and p99 (a phase with no sample is left out). */
export function phaseMs(tr: SetupTracker): Record<string, { p50: number; p99: number }> {
  const out: Record<string, { p50: number; p99: number }> = {};
  for (const p of PHASES) {
    const h = tr.phases[p];
    if (h.count) out[p] = { p50: r3(h.quantile(0.5)), p99: r3(h.quantile(0.99)) };
  }
  return out;
}

/** Chart.js's UMD build, as installed (package.json dependency), safe inside a <script> element. */
function chartJs(): string {
  const require = createRequire(import.meta.url);
  // The package's exports map has no "./package.json": find its folder from its main entry (dist/chart.cjs).
  const file = path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js');
  return readFileSync(file, 'utf8').replace(/<\/script/gi, '<\\/script').replace(/\/\/# sourceMappingURL=.*$/m, '');
}

/** Writes report.json and report.html into `dir`; returns their paths. */
export function writeLoadReport(dir: string, report: LoadReport, tr: SetupTracker): string[] {
  mkdirSync(dir, { recursive: true });
  const json = path.join(dir, 'report.json');
  writeFileSync(json, JSON.stringify(report, null, 2) + '\n');
  const slot = tr.onlineOverTime.slotMs;
  const started = tr.startedOverTime;
  const n = Math.max(tr.onlineOverTime.counts.length, started.counts.length);
  // Both timelines share their first start; bring the started one to the online one's slot width.
  const startedAt = (i: number): number => {
    if (started.slotMs === slot) return started.counts[i] ?? 0;
    const f = slot / started.slotMs;
    let s = 0;
    for (let k = i * f; k < (i + 1) * f; k++) s += started.counts[k] ?? 0;
    return s;
  };
  const data = {
    title: `pseudonet load: ${report.online}/${report.homes} online (${report.mode})`,
    slotSeconds: slot / 1000,
    series: Array.from({ length: n }, (_, i) => ({ t: r3((i * slot) / 1000), online: (tr.onlineOverTime.counts[i] ?? 0) / (slot / 1000), started: startedAt(i) / (slot / 1000) })),
    phases: Object.fromEntries([['setup', tr.setup] as const, ...PHASES.map((p) => [p, tr.phases[p]] as const)].filter(([, h]) => h.count).map(([p, h]) => [p, h.buckets().map(([lo, hi, c]) => [r3(lo), r3(hi), c])])),
    report,
  };
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(data.title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:1.5em;max-width:1100px}canvas{max-height:320px}table{border-collapse:collapse}td,th{padding:2px 10px;text-align:right;border-bottom:1px solid #ddd}th:first-child,td:first-child{text-align:left}.grid{display:grid;grid-template-columns:1fr 1fr;gap:1em}</style>
<script>${chartJs()}</script>
</head><body>
<h1>${esc(data.title)}</h1>
<p>${report.setupsPerSecond.toFixed(0)} setups/s (crypto floor ${report.cryptoFloorSetupsPerSecond.toFixed(0)}/s), ${report.heapBytesPerSession.toFixed(0)} heap bytes per session, setup p50 ${report.setupMs.p50} ms / p99 ${report.setupMs.p99} ms (${report.clock} clock), ${report.wallSeconds.toFixed(2)} s wall, ${report.virtualSeconds.toFixed(2)} s virtual.</p>
<h2>Setups per second over time (wall clock)</h2><canvas id="rate"></canvas>
<h2>Latency by phase (${report.clock} ms, log buckets)</h2><div class="grid" id="phases"></div>
<h2>CPU seconds per box</h2><table id="cpu"><tr><th>box</th><th>seconds</th></tr></table>
<script id="load-data" type="application/json">${JSON.stringify(data).replace(/</g, '\\u003c')}</script>
<script>
const d = JSON.parse(document.getElementById('load-data').textContent);
new Chart(document.getElementById('rate'), { type: 'line', data: { labels: d.series.map(s => s.t), datasets: [
  { label: 'online per second', data: d.series.map(s => s.online), borderColor: '#1f77b4', pointRadius: 0 },
  { label: 'started per second', data: d.series.map(s => s.started), borderColor: '#ff7f0e', pointRadius: 0 } ] },
  options: { animation: false, scales: { x: { title: { display: true, text: 'wall seconds from the first PADI' } }, y: { title: { display: true, text: 'per second' } } } } });
for (const [name, buckets] of Object.entries(d.phases)) {
  const box = document.createElement('div');
  const h = document.createElement('h3'); h.textContent = name; box.appendChild(h);
  const c = document.createElement('canvas'); box.appendChild(c);
  document.getElementById('phases').appendChild(box);
  new Chart(c, { type: 'bar', data: { labels: buckets.map(b => b[0].toPrecision(3)), datasets: [{ label: name + ' (count per bucket, ms)', data: buckets.map(b => b[2]), backgroundColor: '#2ca02c' }] }, options: { animation: false } });
}
const t = document.getElementById('cpu');
for (const [box, s] of Object.entries(d.report.cpuSecondsPerBox)) { const r = t.insertRow(); r.insertCell().textContent = box; r.insertCell().textContent = s.toFixed(3); }
</script>
</body></html>
`;
  const page = path.join(dir, 'report.html');
  writeFileSync(page, html);
  return [json, page];
}

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}
