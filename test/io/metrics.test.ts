/**
 * GET /metrics is Prometheus text that Prometheus's own linter accepts (`promtool check
 * metrics`, Debian's prometheus package; scripts/deps.sh installs it, and this test fails
 * when it is missing): from the in-process network over TCP, and from `pseudonet up` boxes
 * (an LNS and the home emulator on in-memory links, as test/io/homes.test.ts runs them)
 * over their Unix control sockets, which serve the same handlers. Counters are counters
 * (`_total`), sessions and tunnels by state are gauges, and the setup and RADIUS histograms
 * have observations.
 */
import { memoryLab } from '../helpers/memory-lab.js';
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { Network } from '../../src/sim/network.js';
import { NetworkApi } from '../../src/sim/network-api.js';
import { VirtualClock } from '../../src/sim/clock.js';
import { loadTopology, parseTopology } from '../../src/config/topology.js';
import { apiHandler, listenHttp } from '../../src/io/api.js';
import { startControl } from '../../src/io/control.js';
import { BoxProcess } from '../../src/io/box.js';
import { HomesBox } from '../../src/io/homes.js';
import { BoxApi } from '../../src/io/box-api.js';
import { metricPart } from '../../src/config/metrics.js';

function promtool(text: string): { status: number | null; out: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (r.error) throw new Error(`promtool is missing (${(r.error as NodeJS.ErrnoException).code}): run scripts/deps.sh (Debian package prometheus)`);
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** A sample's value, by metric name and labels as they appear in the text. */
function sample(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels) || l.startsWith(`${name} `) && labels === '');
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('metric names: snake case, milliseconds as seconds, no unit abbreviation standing alone', () => {
  assert.equal(metricPart('rxFrames'), 'rx_frames');
  assert.equal(metricPart('route.radius-accept'), 'route_radius_accept');
  assert.equal(metricPart('latencyMsSum'), 'latency_seconds_sum');
  assert.equal(metricPart('notForUs'), 'not_for_self');
});

test('the in-process network: promtool accepts /metrics; counters, gauges by state and histograms are there', async () => {
  const t = loadTopology(new URL('../../topologies/default.yaml', import.meta.url).pathname);
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const net = new Network(t, { clock });
  const api = new NetworkApi(net);
  const server = await listenHttp(apiHandler(api), '127.0.0.1', 0);
  try {
    for (const h of net.homes) net.act(h.cfg.name, (now) => h.start(now));
    clock.runUntil(clock.now() + 10_000);
    const r = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/);
    const text = await r.text();
    const lint = promtool(text);
    assert.equal(lint.status, 0, lint.out);
    assert.equal(lint.out.trim(), '', 'no lint problem');
    assert.match(text, /^# TYPE pseudonet_l2tp_tunnels_opened_total counter$/m);
    assert.equal(sample(text, 'pseudonet_l2tp_tunnels_opened_total', 'box="sse"'), 2);
    assert.equal(sample(text, 'pseudonet_home_padi_out_total', 'box="homes"'), 3);
    assert.match(text, /^# TYPE pseudonet_sessions gauge$/m);
    assert.equal(sample(text, 'pseudonet_sessions', 'box="sse",state="relaying"'), 3);
    assert.equal(sample(text, 'pseudonet_sessions', 'box="homes",state="online"'), 3);
    assert.equal(sample(text, 'pseudonet_tunnels', 'box="nte-a",state="established"'), 1);
    assert.match(text, /^# TYPE pseudonet_session_setup_seconds histogram$/m);
    assert.equal(sample(text, 'pseudonet_session_setup_seconds_count', ''), 3, 'one setup per home');
    // 0.5 ms access + 2 ms carrier + 1 ms RADIUS delays: a setup takes some ms, not 0, not seconds.
    const sum = sample(text, 'pseudonet_session_setup_seconds_sum', '')!;
    assert.ok(sum > 3 * 0.01 && sum < 3 * 1, `setup sum ${sum}`);
    assert.match(text, /^# TYPE pseudonet_radius_rtt_seconds histogram$/m);
    // Access-Requests to the carrier RADIUS (one per home) and to each ISP's, Accounting-Starts.
    assert.equal(sample(text, 'pseudonet_radius_rtt_seconds_count', 'server="192.0.2.253:1812"'), 3);
    assert.equal(sample(text, 'pseudonet_link_frames_total', 'link="access",outcome="lost"'), 0);
  } finally {
    net.close();
    server.close();
  }
});

const BOXES = `
sse: { name: sse, address: 192.0.2.254, interfaces: { access: acc, carrier: car0 } }
isps:
  - name: isp-a
    domain: isp-a.example
    lns: { name: nte-a, address: 192.0.2.1, hostName: nte-a.isp-a.example, tunnelSecret: s, interfaces: { carrier: car1, core: core0 } }
    pool: 198.51.100.0/24
    gateway: 198.51.100.1
    dns: [198.51.100.53]
    users:
      - { name: alice@isp-a.example, password: secret }
      - { name: bob@isp-a.example, password: hunter2 }
homes:
  - { name: home1, user: alice@isp-a.example, password: secret }
  - { name: home2, user: bob@isp-a.example, password: hunter2 }
server: { address: 203.0.113.10, gateway: 203.0.113.1 }
router: { ispSide: 10.255.0.1, serverSide: 203.0.113.1 }
`;

const controlGet = (socketPath: string, p: string, method = 'GET'): Promise<{ status: number; text: string }> =>
  new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path: p, method }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end();
  });

test('pseudonet up boxes (an LNS, the home emulator): their control sockets serve /metrics that promtool accepts, and the API', async () => {
  const t = parseTopology(BOXES);
  const { clock, open } = memoryLab();
  const nteApi = new BoxApi(t, 'nte-a');
  const homesApi = new BoxApi(t, 'homes');
  const sse = new BoxProcess(t, 'sse', { clock, open: open(1) });
  const nte = new BoxProcess(t, 'nte-a', { clock, open: open(2), onEvent: nteApi.event, onFrame: nteApi.tap });
  nteApi.attach(nte);
  const homes = new HomesBox(t, { clock, open: open(3), access: 'acc', onEvent: homesApi.event, onFrame: homesApi.tap });
  homesApi.attach(homes);
  const dir = mkdtempSync(path.join(tmpdir(), 'http-metrics-'));
  dirs.push(dir);
  const nteSock = path.join(dir, 'nte-a.sock');
  const homesSock = path.join(dir, 'homes.sock');
  const servers = [await startControl(nte, nteSock, { api: apiHandler(nteApi) }), await startControl(homes, homesSock, { api: apiHandler(homesApi) })];
  try {
    clock.runUntil(clock.now() + 10_000);
    for (const sock of [nteSock, homesSock]) {
      const m = await controlGet(sock, '/metrics');
      assert.equal(m.status, 200);
      const lint = promtool(m.text);
      assert.equal(lint.status, 0, `${sock}: ${lint.out}`);
      assert.equal(lint.out.trim(), '', `${sock}: no lint problem`);
    }
    const nteText = (await controlGet(nteSock, '/metrics')).text;
    assert.equal(sample(nteText, 'pseudonet_sessions', 'box="nte-a",state="online"'), 2);
    assert.equal(sample(nteText, 'pseudonet_l2tp_sessions_established_total', 'box="nte-a"'), 2);
    // The embedded RADIUS answers inside the nte's process: its counters and its round trips are there too.
    assert.equal(sample(nteText, 'pseudonet_server_access_accepts_total', 'box="isp-a-radius"'), 2);
    assert.ok(sample(nteText, 'pseudonet_radius_rtt_seconds_count', 'server="172.16.0.2:1812"')! >= 2);
    const homesText = (await controlGet(homesSock, '/metrics')).text;
    assert.equal(sample(homesText, 'pseudonet_session_setup_seconds_count', ''), 2, 'PADI → IPCP up, per home');
    assert.equal(sample(homesText, 'pseudonet_sessions', 'box="homes",state="online"'), 2);
    // The same handlers as --http: the API's views and actions on the control socket.
    const rows = JSON.parse((await controlGet(nteSock, '/api/sessions')).text) as { home: string; state: string; lns: string }[];
    assert.deepEqual(rows.map((r) => [r.home, r.state, r.lns]).sort(), [['home1', 'online', 'nte-a'], ['home2', 'online', 'nte-a']]);
    const ladder = JSON.parse((await controlGet(homesSock, '/api/sessions/home1/sequence')).text) as { messages: { protocol: string; label: string }[] };
    assert.ok(ladder.messages.some((m) => /\(PADI\)/.test(m.label)) && ladder.messages.some((m) => m.protocol === 'PPP IPCP'));
    const down = await controlGet(homesSock, '/api/homes/home2/down', 'POST');
    assert.equal(down.status, 200, down.text);
    clock.runUntil(clock.now() + 5000);
    const after = JSON.parse((await controlGet(homesSock, '/api/sessions')).text) as { home: string; state: string }[];
    assert.equal(after.find((r) => r.home === 'home2')!.state, 'down');
    assert.equal(JSON.parse((await controlGet(nteSock, '/api/sessions')).text).length, 1, 'the LNS lost the session');
    const refused = await controlGet(nteSock, '/api/links/carrier/impair', 'POST');
    assert.equal(refused.status, 409);
    assert.equal(JSON.parse(refused.text).field, 'link');
    // The control socket's own paths are still there.
    assert.equal((await controlGet(nteSock, '/show/box')).status, 200);
  } finally {
    for (const s of servers) s.close();
    for (const b of [homes, nte, sse]) b.close();
  }
});
