/**
 * The HTTP API (src/io/api.ts) over a real TCP listener on 127.0.0.1, serving the in-process
 * network of topologies/default.yaml on the virtual clock (the test moves time between
 * requests): every GET endpoint, the event stream, the ladder, every action and what it
 * does to the network, and every 4xx with the field it names. The contracts (paths, keys,
 * states) are the ones issue 16 names, written out here by hand.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Network } from '../../src/sim/network.js';
import { NetworkApi } from '../../src/sim/network-api.js';
import { VirtualClock } from '../../src/sim/clock.js';
import { loadTopology } from '../../src/config/topology.js';
import { apiHandler, listenHttp } from '../../src/io/api.js';

const t = loadTopology(new URL('../../topologies/default.yaml', import.meta.url).pathname);
const clock = new VirtualClock(Date.UTC(2026, 0, 1));
const net = new Network(t, { clock });
const api = new NetworkApi(net);
let server: Server;
let base = '';

interface Session { home: string; user: string; state: string; ip: string | null; lns: string | null; pppoeSessionId: number | null; tunnelId: number | null; sessionId: number | null; since: string | null; octetsIn: number | null; octetsOut: number | null; ipv6: { address: string | null; wanPrefix: string | null; delegatedPrefix: string | null } | null }

const get = async (p: string): Promise<{ status: number; body: any }> => {
  const r = await fetch(base + p);
  return { status: r.status, body: await r.json() };
};
const post = async (p: string, body?: unknown, raw?: string): Promise<{ status: number; body: any }> => {
  const r = await fetch(base + p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw ?? JSON.stringify(body ?? {}) });
  return { status: r.status, body: await r.json() };
};
const run = (ms: number): void => clock.runUntil(clock.now() + ms);
const sessions = async (): Promise<Map<string, Session>> => new Map(((await get('/api/sessions')).body as Session[]).map((s) => [s.home, s]));

before(async () => {
  server = await listenHttp(apiHandler(api), '127.0.0.1', 0);
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (const h of net.homes) net.act(h.cfg.name, (now) => h.start(now));
  run(10_000);
});

after(() => {
  net.close();
  server.close();
});

test('GET /api/sessions: every home with the named keys, "online" and its address once IPCP is up', async () => {
  const r = await get('/api/sessions');
  assert.equal(r.status, 200);
  assert.equal(r.body.length, 3);
  for (const s of r.body as Session[]) {
    assert.deepEqual(Object.keys(s).sort(), ['home', 'ip', 'ipv6', 'lns', 'octetsIn', 'octetsOut', 'pppoeSessionId', 'sessionId', 'since', 'state', 'tunnelId', 'user'].sort());
    assert.equal(s.state, 'online');
    assert.match(s.since!, /^\d{4}-\d\d-\d\dT/);
    assert.ok(s.pppoeSessionId! > 0 && s.tunnelId! > 0 && s.sessionId! > 0);
  }
  const by = await sessions();
  // alice has a fixed address in the topology; isp-b's pool is 100.64.0.0/24.
  assert.equal(by.get('home1')!.ip, '198.51.100.10');
  assert.equal(by.get('home1')!.user, 'alice@isp-a.example');
  assert.equal(by.get('home1')!.lns, 'nte-a');
  assert.equal(by.get('home3')!.lns, 'nte-b');
  assert.match(by.get('home3')!.ip!, /^100\.64\.0\./);
  // Dual stack where the ISP has IPv6 (isp-a): alice's fixed prefixes from the topology; isp-b none.
  const v6 = by.get('home1')!.ipv6!;
  assert.equal(v6.delegatedPrefix, '2001:db8:8000:1000::/56');
  assert.equal(v6.wanPrefix, '2001:db8:100:10::/64');
  assert.match(v6.address!, /^2001:db8:100:10:/);
  // bob's from the pdPool 2001:db8:8000::/34, not alice's.
  assert.match(by.get('home2')!.ipv6!.delegatedPrefix!, /^2001:db8:[89a-f][0-9a-f]{3}:?[0-9a-f:]*\/56$/);
  assert.notEqual(by.get('home2')!.ipv6!.delegatedPrefix, v6.delegatedPrefix);
  assert.equal(by.get('home3')!.ipv6, null);
});

test('octets: a ping through the LNS counts bytes in and out of that session', async () => {
  const home = net.homes[0]!;
  net.act('home1', (now) => home.ping(0xcb00710a, 1, now)); // 203.0.113.10
  run(1000);
  const s = (await sessions()).get('home1')!;
  // One ICMP echo of 56 data bytes is 84 bytes of IPv4 each way.
  assert.ok(s.octetsIn! >= 84, `in ${s.octetsIn}`);
  assert.ok(s.octetsOut! >= 84, `out ${s.octetsOut}`);
});

test('GET tunnels, routes, arp, counters, boxes', async () => {
  const tunnels = (await get('/api/tunnels')).body as { box: string; state: string }[];
  // sse → nte-a and sse → nte-b, seen from both ends.
  assert.equal(tunnels.filter((x) => x.box === 'sse').length, 2);
  assert.ok(tunnels.some((x) => x.box === 'nte-a' && x.state === 'established'));
  const routes = (await get('/api/routes')).body as Record<string, { prefix: string }[]>;
  assert.ok(routes['nte-a']!.some((r) => r.prefix === '198.51.100.10/32'), 'the subscriber /32 at its LNS');
  const arp = (await get('/api/arp')).body as Record<string, unknown>;
  assert.ok('sse' in arp);
  const counters = (await get('/api/counters')).body as Record<string, any>;
  assert.ok(counters['nte-a'].l2tp.sessions.established >= 2);
  assert.ok(counters.links.access.sent > 0);
  const boxes = (await get('/api/boxes')).body as { scope: string; boxes: { name: string; kind: string; state: string; sessions: number; ports: Record<string, string> }[]; links: { name: string }[] };
  assert.equal(boxes.scope, 'network');
  const nteA = boxes.boxes.find((b) => b.name === 'nte-a')!;
  assert.deepEqual(nteA, { name: 'nte-a', kind: 'nte', state: 'running', ports: { carrier: 'carrier', radius: 'radius-isp-a', core: 'core' }, sessions: 2 });
  assert.equal(boxes.boxes.find((b) => b.name === 'home1')!.state, 'online');
  assert.deepEqual(boxes.links.map((l) => l.name).sort(), ['access', 'carrier', 'core', 'radius-isp-a', 'radius-isp-b', 'server']);
});

test('GET /api/sessions/HOME/sequence: the ladder across every box, PADI to Accounting-Start, and ?after= gives only what is new', async () => {
  const r = await get('/api/sessions/home1/sequence');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.participants, ['home1', 'sse', 'carrier-radius', 'nte-a', 'isp-a-radius']);
  const lines = (r.body.messages as { from: string; to: string; protocol: string; label: string }[]).map((m) => `${m.from}>${m.to} ${m.protocol} ${m.label}`);
  const at = (re: RegExp): number => lines.findIndex((l) => re.test(l));
  const order = [
    /^home1>sse PPPoED Active Discovery Initiation \(PADI\)/,
    /^sse>home1 PPPoED Active Discovery Offer \(PADO\)/,
    /^home1>sse PPPoED .*\(PADR\)/,
    /^sse>home1 PPPoED .*\(PADS\)/,
    /PPP LCP Configuration Request/,
    /^home1>sse PPP CHAP Response \(NAME='alice@isp-a.example'\)/,
    /^sse>carrier-radius RADIUS Access-Request/,
    /^sse>nte-a L2TP Control Message - SCCRQ/,
    /^sse>nte-a L2TP Control Message - ICRQ/,
    /^sse>nte-a L2TP Control Message - ICCN/,
    /^nte-a>isp-a-radius RADIUS Access-Request/,
    /PPP IPCP Configuration Ack/,
    /^nte-a>isp-a-radius RADIUS Accounting-Request id=\d+ \(Acct-Status-Type Start\)$/,
  ];
  let prev = -1;
  for (const re of order) {
    const i = at(re);
    assert.ok(i > prev, `${re} after message ${prev}:\n${lines.join('\n')}`);
    prev = i;
  }
  // Nothing of carol's (isp-b) in alice's ladder.
  assert.ok(!lines.some((l) => /nte-b|carol/.test(l)), lines.join('\n'));
  const last = r.body.last as number;
  net.act('home1', (now) => net.homes[0]!.ping(0xcb00710a, 2, now));
  run(1000);
  const more = (await get(`/api/sessions/home1/sequence?after=${last}`)).body;
  assert.ok(more.messages.length >= 2 && more.messages.every((m: { n: number }) => m.n > last));
  assert.ok(more.messages.some((m: { protocol: string; label: string }) => m.protocol === 'ICMP' && /Echo \(ping\) request/.test(m.label)));
});

test('GET /api/events: every event as Server-Sent Events', async () => {
  const ctl = new AbortController();
  const r = await fetch(`${base}/api/events`, { signal: ctl.signal });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type')!, /^text\/event-stream/);
  const reader = r.body!.getReader();
  await reader.read(); // the stream's opening comment
  await post('/api/homes/home2/down');
  run(5000);
  let text = '';
  const deadline = Date.now() + 5000;
  while (!/event: home\ndata: .*"offline"/.test(text) && Date.now() < deadline) {
    const c = await reader.read();
    if (c.done) break;
    text += Buffer.from(c.value).toString('utf8');
  }
  ctl.abort();
  const m = /event: home\ndata: (.*"offline".*)\n\n/.exec(text);
  assert.ok(m, text);
  const e = JSON.parse(m[1]!);
  assert.equal(e.box, 'home2');
  assert.equal(e.event.type, 'offline');
});

test('POST /api/homes/HOME/down holds it down (no redial), /up brings it back', async () => {
  // home2 was taken down in the events test.
  let s = (await sessions()).get('home2')!;
  assert.equal(s.state, 'down');
  assert.equal(s.ip, null);
  run(60_000);
  assert.equal((await sessions()).get('home2')!.state, 'down', 'still down a minute later');
  const r = await post('/api/homes/home2/up');
  assert.equal(r.status, 200);
  run(10_000);
  s = (await sessions()).get('home2')!;
  assert.equal(s.state, 'online');
  assert.match(s.ip!, /^198\.51\.100\./);
});

test('POST /api/sessions/HOME/disconnect: an RFC 5176 Disconnect-Request from the ISP RADIUS ends the session (Disconnect-ACK)', async () => {
  const replies: number[] = [];
  const ended: string[] = [];
  net.onEvent((e) => e.kind === 'radius' && e.event.type === 'dae-reply' && replies.push(e.event.code));
  net.onEvent((e) => e.kind === 'home' && e.box === 'home3' && e.event.type === 'offline' && ended.push(e.event.reason));
  const r = await post('/api/sessions/home3/disconnect');
  assert.equal(r.status, 200);
  run(2000);
  assert.deepEqual(replies, [41]); // Disconnect-ACK
  // The session ended (the home redials by itself after its holdoff, 2.5 s at the soonest).
  assert.equal(ended.length, 1);
  assert.notEqual((await sessions()).get('home3')!.state, 'online');
  const ladder = (await get('/api/sessions/home3/sequence')).body.messages as { from: string; label: string }[];
  assert.ok(ladder.some((m) => m.from === 'isp-b-radius' && /Disconnect-Request/.test(m.label)));
  await post('/api/homes/home3/down');
  await post('/api/homes/home3/up');
  run(10_000);
  assert.equal((await sessions()).get('home3')!.state, 'online');
});

test('POST /api/links/LINK/impair sets the link\'s impairments (validated by the topology\'s schema)', async () => {
  const r = await post('/api/links/carrier/impair', { delay: 5, loss: 0 });
  assert.equal(r.status, 200);
  const link = ((await get('/api/boxes')).body.links as { name: string; impairments: object }[]).find((l) => l.name === 'carrier')!;
  assert.deepEqual(link.impairments, { delay: 5, loss: 0 });
  assert.deepEqual(net.segments.get('carrier')!.impairments.delay, 5);
  await post('/api/links/carrier/impair', { delay: 2 });
});

test('POST /api/boxes/BOX/stop and /start: an LNS goes away (its subscribers lose their sessions) and comes back fresh', async () => {
  let r = await post('/api/boxes/nte-b/stop');
  assert.equal(r.status, 200);
  assert.equal(((await get('/api/boxes')).body.boxes as { name: string; state: string }[]).find((b) => b.name === 'nte-b')!.state, 'stopped');
  // home3's LCP echoes (30 s interval, pppd's lcp-echo-failure) and the sse's tunnel give up.
  run(200_000);
  assert.notEqual((await sessions()).get('home3')!.state, 'online');
  // Held down, home3 does not redial into the fresh LNS before we have looked at it.
  await post('/api/homes/home3/down');
  r = await post('/api/boxes/nte-b/start');
  assert.equal(r.status, 200);
  run(1000);
  const box = ((await get('/api/boxes')).body.boxes as { name: string; state: string; sessions: number }[]).find((b) => b.name === 'nte-b')!;
  assert.deepEqual([box.state, box.sessions], ['running', 0]);
  await post('/api/homes/home3/up');
  run(30_000);
  const s = (await sessions()).get('home3')!;
  assert.equal(s.state, 'online');
  assert.equal(s.lns, 'nte-b');
});

test('4xx: each bad request names its field', async () => {
  const cases: [string, Promise<{ status: number; body: any }>, number, string][] = [
    ['unknown home', post('/api/homes/nobody/down'), 404, 'home'],
    ['bad home name', post('/api/homes/a%20b/down'), 400, 'home'],
    ['bad percent-encoding', post('/api/homes/%ZZ/up'), 400, 'home'],
    ['unknown link', post('/api/links/nowhere/impair', { loss: 0.1 }), 404, 'link'],
    ['loss above 1', post('/api/links/access/impair', { loss: 2 }), 400, 'loss'],
    ['mtu not an integer', post('/api/links/access/impair', { mtu: 1000.5 }), 400, 'mtu'],
    ['unknown impairment', post('/api/links/access/impair', { lossy: 1 }), 400, 'lossy'],
    ['body not JSON', post('/api/links/access/impair', undefined, '{loss:'), 400, 'body'],
    ['body too big', post('/api/links/access/impair', undefined, JSON.stringify({ loss: 0, pad: 'x'.repeat(20_000) })), 413, 'body'],
    ['unknown box', post('/api/boxes/nte-z/stop'), 404, 'box'],
    ['a home is not stopped as a box', post('/api/boxes/home1/stop'), 409, 'box'],
    ['unknown action', post('/api/boxes/sse/reboot'), 404, 'path'],
    ['disconnect unknown home', post('/api/sessions/nobody/disconnect'), 404, 'home'],
    ['ladder of unknown home', get('/api/sessions/nobody/sequence'), 404, 'home'],
    ['after not a number', get('/api/sessions/home1/sequence?after=-1'), 400, 'after'],
    ['GET on an action', get('/api/homes/home1/down'), 405, 'method'],
    ['POST on a view', post('/api/sessions'), 405, 'method'],
    ['unknown view', get('/api/nothing'), 404, 'path'],
    ['an Object key is no view', get('/api/constructor'), 404, 'path'],
    ['an Object key is no action', post('/api/homes/home1/constructor'), 404, 'path'],
    ['URL too long', get(`/api/sessions?x=${'a'.repeat(3000)}`), 414, 'url'],
  ];
  for (const [what, p, status, field] of cases) {
    const r = await p;
    assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.field, field, what);
    assert.ok(r.body.error.startsWith(`${field}:`), `${what}: the message names the field: ${r.body.error}`);
  }
  // The network is as it was: no bad request changed anything.
  assert.deepEqual(net.segments.get('access')!.impairments.loss, undefined);
});

test('at most 32 event streams at once: the next is refused with 503, and one closing makes room', async () => {
  const ctls: AbortController[] = [];
  try {
    for (let i = 0; i < 32; i++) {
      const c = new AbortController();
      ctls.push(c);
      assert.equal((await fetch(`${base}/api/events`, { signal: c.signal })).status, 200);
    }
    const refused = await fetch(`${base}/api/events`);
    assert.equal(refused.status, 503);
    ctls.pop()!.abort();
    await new Promise((r) => setTimeout(r, 100));
    const c = new AbortController();
    ctls.push(c);
    assert.equal((await fetch(`${base}/api/events`, { signal: c.signal })).status, 200);
  } finally {
    for (const c of ctls) c.abort();
  }
});

test('GET / serves the page and the vendored graph-layout library; /api lists the endpoints', async () => {
  const page = await fetch(`${base}/`);
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /<script src="\/vendor\/dagre.min.js"><\/script>/);
  assert.doesNotMatch(html, /https?:\/\//, 'nothing from the network');
  const lib = await fetch(`${base}/vendor/dagre.min.js`);
  assert.equal(lib.status, 200);
  assert.match(await lib.text(), /graphlib/);
  const list = (await get('/api')).body.endpoints as string[];
  assert.ok(list.includes('POST /api/boxes/BOX/stop'));
});

test('a ladder is bounded: it keeps its last messages and counts the ones it cut', () => {
  const clock2 = new VirtualClock(Date.UTC(2026, 0, 1));
  const net2 = new Network(t, { clock: clock2 });
  const api2 = new NetworkApi(net2, { ladderCap: 16 });
  for (const h of net2.homes) net2.act(h.cfg.name, (now) => h.start(now));
  clock2.runUntil(clock2.now() + 10_000);
  for (let k = 1; k <= 20; k++) net2.act('home1', (now) => net2.homes[0]!.ping(0xcb00710a, k, now));
  clock2.runUntil(clock2.now() + 2000);
  const v = api2.sequence('home1', 0)!;
  net2.close();
  // 20 echo requests and replies cross 2 links each way: well over 16 messages on top of the setup's.
  assert.ok(v.last > 16 + 80, `last ${v.last}`);
  assert.ok(v.messages.length >= 16 && v.messages.length <= 18, `kept ${v.messages.length}`);
  assert.equal(v.cut + v.messages.length, v.last, 'every message is either kept or counted as cut');
  assert.equal(v.messages.at(-1)!.n, v.last);
});
