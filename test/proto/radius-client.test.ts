/**
 * The RADIUS client machine against our server core on the virtual clock: no sockets, no
 * waiting. Loss, outages and forged answers are injected between the two.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { VirtualClock, type TimerId } from '../../src/sim/clock.js';
import { mulberry32 } from '../../src/sim/link.js';
import {
  RadiusClient, MemorySpool, recordFromJson, recordToJson, type RadiusClientConfig, type RadiusClientEvent, type RadiusTransmit,
} from '../../src/proto/radius-client.js';
import { DynamicAuthorizationServer, type DaeEvent } from '../../src/proto/radius-dae.js';
import { RadiusServer, type RadiusServerEvent } from '../../src/roles/radius-server.js';
import { parseRadiusServerConfig } from '../../src/config/radius-file.js';
import { bytesText, ipv4FromString, ipv4ToString, setU16, textBytes } from '../../src/wire/bytes.js';
import {
  A, AcctStatusType, RadiusCode, getAttr, getInt, getText, intAttr, ipv4Attr, radiusPacket, textAttr, type RadiusPacket,
} from '../../src/wire/radius.js';
import { chapResponse, messageAuthenticatorAttr, signPacket, verifyResponseAuthenticator, checkMessageAuthenticator } from '../../src/wire/radius-crypto.js';
import { encode } from '../../src/wire/result.js';

const SECRET = 'testing123';

const SERVER_YAML = `
clients:
  - address: 10.0.0.0/8
    secret: ${SECRET}
users:
  - name: alice@isp-a.example
    password: secret
    framedIp: 198.51.100.10
    dns: [192.0.2.53, 192.0.2.54]
    sessionTimeout: 3600
  - name: bob@isp-a.example
    password: hunter2
    pool: isp-a
pools:
  isp-a: 198.51.100.128/30
realms:
  - domain: isp-b.example
    tunnels:
      - serverEndpoint: 192.0.2.21
        password: lns1secret
        assignmentId: isp-b
        preference: 10
      - serverEndpoint: 192.0.2.22
        password: lns2secret
        assignmentId: isp-b
        preference: 20
`;

/** Seeded randomness so runs repeat. */
function seeded(seed: number): (n: number) => Uint8Array {
  const r = mulberry32(seed);
  return (n) => Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
}

interface Peer {
  address: string;
  core: RadiusServer;
  up: boolean;
  authPort: number;
  acctPort: number;
}

/** Client ⇄ servers on the virtual clock with seeded loss and delay both ways. */
class Net {
  readonly clock = new VirtualClock(1_000_000);
  readonly events: RadiusClientEvent[] = [];
  readonly serverEvents: RadiusServerEvent[] = [];
  readonly sent: (RadiusTransmit & { at: number })[] = [];
  private timer: TimerId | undefined;
  private readonly rand: () => number;
  /** Rewrites or drops an answer on its way to the client (undefined = drop). */
  tamper: ((bytes: Uint8Array, t: RadiusTransmit) => { bytes: Uint8Array; address?: number; port?: number } | undefined) | undefined;

  constructor(
    readonly client: RadiusClient,
    readonly peers: Peer[],
    readonly loss = 0,
    readonly delay = 5,
    seed = 1,
  ) {
    this.rand = mulberry32(seed);
    this.pump();
  }

  now(): number {
    return this.clock.now();
  }

  pump(): void {
    const c = this.client;
    for (let t = c.pollTransmit(); t; t = c.pollTransmit()) {
      this.sent.push({ ...t, at: this.now() });
      const peer = this.peers.find((p) => ipv4FromString(p.address) === t.address);
      if (!peer || !peer.up || this.rand() < this.loss) continue;
      const service = t.port === peer.authPort ? 'auth' : 'acct';
      const bytes = new Uint8Array(t.bytes);
      this.clock.setTimer(this.now() + this.delay, () => {
        if (!peer.up) return;
        peer.core.handle({ service, address: '10.0.0.1', port: 40000 + t.socket, bytes }, this.now());
        for (let e = peer.core.pollEvent(); e; e = peer.core.pollEvent()) this.serverEvents.push(e);
        for (let r = peer.core.pollTransmit(); r; r = peer.core.pollTransmit()) {
          if (this.rand() < this.loss) continue;
          let answer = { bytes: r.bytes, address: ipv4FromString(peer.address), port: service === 'auth' ? peer.authPort : peer.acctPort };
          if (this.tamper) {
            const x = this.tamper(new Uint8Array(r.bytes), t);
            if (!x) continue;
            answer = { ...answer, ...x };
          }
          this.clock.setTimer(this.now() + this.delay, () => {
            this.client.handle({ socket: t.socket, ...answer }, this.now());
            this.pump();
          });
        }
      });
    }
    for (let e = c.pollEvent(); e; e = c.pollEvent()) this.events.push(e);
    if (this.timer !== undefined) this.clock.cancel(this.timer);
    const next = c.nextTimeout();
    this.timer = next === undefined ? undefined : this.clock.setTimer(next, () => {
      this.timer = undefined;
      c.handleTimeout(this.now());
      this.pump();
    });
  }

  run(ms: number): void {
    this.clock.runUntil(this.now() + ms);
  }

  responses(): Extract<RadiusClientEvent, { type: 'access-response' }>[] {
    return this.events.filter((e): e is Extract<RadiusClientEvent, { type: 'access-response' }> => e.type === 'access-response');
  }
}

function server(address = '10.0.0.10', yaml = SERVER_YAML): Peer {
  return { address, core: new RadiusServer(parseRadiusServerConfig(yaml), { random: seeded(9) }), up: true, authPort: 1812, acctPort: 1813 };
}

function client(servers: Peer[], extra: Partial<RadiusClientConfig> = {}): RadiusClient {
  return new RadiusClient({
    servers: servers.map((p, i) => ({ name: `radius-${i + 1}`, address: p.address, secret: SECRET, authPort: p.authPort, acctPort: p.acctPort })),
    nasIpAddress: ipv4FromString('10.0.0.1'),
    nasIdentifier: 'lns-1',
    initialRtoMs: 500,
    maxRtoMs: 4000,
    triesPerServer: 3,
    random: seeded(7),
    ...extra,
  });
}

const pap = (userName: string, password: string) => ({ userName, auth: { type: 'pap' as const, password }, nasPort: 1, callingStationId: '02:00:00:00:00:01' });
const chap = (userName: string, password: string, challenge: Uint8Array, id = 7) => ({ userName, auth: { type: 'chap' as const, id, challenge, response: chapResponse(id, password, challenge) }, nasPort: 2 });

// ---- access ---------------------------------------------------------------------------

test('PAP and CHAP against our server: Accept with Framed-IP and DNS for the right password, Reject for a wrong one', () => {
  const p = server();
  const c = client([p]);
  const net = new Net(c, [p]);
  const ch16 = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
  const ch17 = Uint8Array.from({ length: 17 }, (_, i) => 100 + i);
  const t1 = c.accessRequest(pap('alice@isp-a.example', 'secret'), net.now());
  const t2 = c.accessRequest(pap('alice@isp-a.example', 'Secret'), net.now());
  const t3 = c.accessRequest(chap('alice@isp-a.example', 'secret', ch16), net.now());
  const t4 = c.accessRequest(chap('alice@isp-a.example', 'secret', ch17), net.now());
  const t5 = c.accessRequest(chap('alice@isp-a.example', 'wrong', ch16), net.now());
  const t6 = c.accessRequest(pap('nobody@isp-a.example', 'x'), net.now());
  net.pump();
  net.run(100);
  const by = new Map(net.responses().map((r) => [r.token, r]));
  assert.deepEqual([t1, t2, t3, t4, t5, t6].map((t) => by.get(t)?.accepted), [true, false, true, true, false, false]);
  const a = by.get(t1)!;
  assert.equal(ipv4ToString(a.reply.framedIpAddress!), '198.51.100.10');
  assert.deepEqual(a.reply.dns.map(ipv4ToString), ['192.0.2.53', '192.0.2.54']);
  assert.equal(a.reply.sessionTimeout, 3600);
  // What went on the wire: Message-Authenticator on every request; the 16-octet CHAP
  // challenge as Request Authenticator, the 17-octet one in CHAP-Challenge (RFC 2865 §5.3).
  const reqs = net.sent.map((s) => s.packet);
  for (const r of reqs) assert.equal(r.attributes[0]!.type, A.MESSAGE_AUTHENTICATOR);
  assert.deepEqual([...reqs[2]!.authenticator], [...ch16]);
  assert.equal(getAttr(reqs[2]!, A.CHAP_CHALLENGE), undefined);
  assert.deepEqual([...getAttr(reqs[3]!, A.CHAP_CHALLENGE)!.data], [...ch17]);
  assert.equal(getInt(reqs[0]!, A.NAS_IP_ADDRESS), ipv4FromString('10.0.0.1'));
  assert.equal(bytesText(getAttr(reqs[0]!, A.NAS_IDENTIFIER)!.data), 'lns-1');
  assert.equal(getInt(reqs[0]!, A.NAS_PORT_TYPE), 5);
  assert.equal(getInt(reqs[0]!, A.SERVICE_TYPE), 2);
  assert.equal(getInt(reqs[0]!, A.FRAMED_PROTOCOL), 1);
  assert.equal(bytesText(getAttr(reqs[0]!, A.CALLING_STATION_ID)!.data), '02:00:00:00:00:01');
  assert.equal(c.counters.accessAccepts, 3);
  assert.equal(c.counters.accessRejects, 3);
});

test('a realm with two LNS: tagged Tunnel-* grouped by tag, Tunnel-Passwords decrypted, sorted by preference', () => {
  const p = server();
  const c = client([p]);
  const net = new Net(c, [p]);
  c.accessRequest(chap('carol@isp-b.example', 'anything', new Uint8Array(16).fill(3)), net.now());
  net.pump();
  net.run(100);
  const [r] = net.responses();
  assert.ok(r?.accepted);
  assert.deepEqual(r.reply.tunnels.map((t) => [t.tag, t.type, t.mediumType, t.serverEndpoint, bytesText(t.password!), t.assignmentId, t.preference]), [
    [1, 3, 1, '192.0.2.21', 'lns1secret', 'isp-b', 10],
    [2, 3, 1, '192.0.2.22', 'lns2secret', 'isp-b', 20],
  ]);
});

test('pools: an address per session (two logins of one user get two), kept on re-authentication on its port, given back at Accounting-Stop, Reject when exhausted', () => {
  const p = server();
  const c = client([p]);
  const net = new Net(c, [p]);
  const yaml2 = SERVER_YAML.replace('  - name: bob@isp-a.example', '  - name: dave@isp-a.example\n    password: pw\n    pool: isp-a\n  - name: bob@isp-a.example');
  p.core = new RadiusServer(parseRadiusServerConfig(yaml2));
  // NAS-Port names the session (one session per port at a time).
  const on = (u: string, nasPort: number) => ({ ...pap(`${u}@isp-a.example`, u === 'bob' ? 'hunter2' : 'pw'), nasPort });
  for (const [u, port] of [['bob', 1], ['bob', 1], ['bob', 2], ['dave', 3]] as const) c.accessRequest(on(u, port), net.now());
  net.pump();
  net.run(100);
  const r = net.responses();
  assert.deepEqual(r.map((x) => x.accepted), [true, true, true, false], '/30 pool: two addresses');
  assert.equal(r[0]!.reply.framedIpAddress, r[1]!.reply.framedIpAddress, 'the same port again: its address');
  assert.notEqual(r[2]!.reply.framedIpAddress, r[0]!.reply.framedIpAddress, 'bob\'s second login: an address of its own');
  assert.deepEqual([r[0]!, r[2]!].map((x) => ipv4ToString(x.reply.framedIpAddress!)).sort(), ['198.51.100.129', '198.51.100.130']);
  assert.match(r[3]!.reply.replyMessage ?? '', /No address available/);
  assert.equal(p.core.counters.poolExhausted, 1);
  c.account({ statusType: AcctStatusType.STOP, sessionId: 's-bob', userName: 'bob@isp-a.example', nasPort: 1, framedIpAddress: r[0]!.reply.framedIpAddress! }, net.now());
  net.pump();
  net.run(100);
  c.accessRequest(on('dave', 3), net.now());
  net.pump();
  net.run(100);
  assert.equal(net.responses()[4]!.reply.framedIpAddress, r[0]!.reply.framedIpAddress, 'bob\'s first address went to dave');
});

// ---- identifiers, retransmission, failover ---------------------------------------------

test('identifiers: 256 per socket, a new socket past 256 outstanding, requests wait when all sockets are full', () => {
  const p = server();
  p.up = false;
  const c = client([p], { maxSockets: 3, initialRtoMs: 10_000 });
  const net = new Net(c, [p]);
  for (let i = 0; i < 800; i++) c.accessRequest(pap('alice@isp-a.example', 'secret'), net.now());
  net.pump();
  assert.equal(net.sent.length, 768, 'three sockets of 256 ids; 32 requests wait');
  const bySocket = new Map<number, Set<number>>();
  for (const s of net.sent) {
    const ids = bySocket.get(s.socket) ?? new Set();
    ids.add(s.packet.identifier);
    bySocket.set(s.socket, ids);
  }
  assert.deepEqual([...bySocket.keys()].sort(), [0, 1, 2]);
  for (const ids of bySocket.values()) assert.equal(ids.size, 256, 'no id used twice on a socket');
  assert.equal(c.counters.socketsInUse, 3);
  // The server comes up: the first answers free ids and the 32 waiting requests go out.
  p.up = true;
  net.run(60_000);
  assert.equal(net.responses().length, 800);
  assert.ok(net.responses().every((r) => r.accepted));
});

test('retransmission with backoff, failover to the second server, dead-server detection, the primary back after its dead time', () => {
  const a = server('10.0.0.10');
  const b = server('10.0.0.11');
  a.up = false;
  const c = client([a, b], { deadAfterFailures: 1, deadTimeMs: 30_000 });
  const net = new Net(c, [a, b]);
  const t0 = net.now();
  c.accessRequest(pap('alice@isp-a.example', 'secret'), t0);
  net.pump();
  net.run(20_000);
  const times = net.sent.map((s) => [ipv4ToString(s.address), s.at - t0] as const);
  assert.deepEqual(times.map((x) => x[0]), ['10.0.0.10', '10.0.0.10', '10.0.0.10', '10.0.0.11']);
  // A retransmission is the same datagram; its packet, read from those bytes, is the first one's.
  assert.deepEqual(Buffer.from(net.sent[1]!.bytes), Buffer.from(net.sent[0]!.bytes));
  const first = radiusPacket.parse(net.sent[0]!.bytes);
  assert.ok(first.ok);
  assert.deepEqual(net.sent[2]!.packet, first.value);
  assert.equal(getText(net.sent[2]!.packet, A.USER_NAME), 'alice@isp-a.example');
  // 500 ms, then 1000 ms, then 2000 ms (±10 % jitter) before failing over.
  const gaps = [times[1]![1] - times[0]![1], times[2]![1] - times[1]![1], times[3]![1] - times[2]![1]];
  for (const [g, want] of gaps.map((g, i) => [g, 500 * 2 ** i])) assert.ok(g! >= want! * 0.9 && g! <= want! * 1.1, `gap ${g} ≈ ${want}`);
  assert.equal(net.responses().length, 1);
  assert.equal(net.responses()[0]!.server, 'radius-2');
  assert.deepEqual(net.events.filter((e) => e.type === 'server-down'), [{ type: 'server-down', server: 'radius-1' }]);
  assert.equal(c.counters.retransmits, 2);
  assert.equal(c.counters.failovers, 1);
  // While radius-1 is dead, requests go straight to radius-2.
  const before = net.sent.length;
  c.accessRequest(pap('alice@isp-a.example', 'secret'), net.now());
  net.pump();
  net.run(1000);
  assert.deepEqual(net.sent.slice(before).map((s) => ipv4ToString(s.address)), ['10.0.0.11']);
  // After the dead time radius-1 is tried again; it answers now and is marked alive.
  a.up = true;
  net.run(30_000);
  const before2 = net.sent.length;
  c.accessRequest(pap('alice@isp-a.example', 'secret'), net.now());
  net.pump();
  net.run(1000);
  assert.deepEqual(net.sent.slice(before2).map((s) => ipv4ToString(s.address)), ['10.0.0.10']);
  assert.ok(net.events.some((e) => e.type === 'server-up' && e.server === 'radius-1'));
});

test('every server down: the Access-Request times out after each was tried, in bounded time', () => {
  const a = server('10.0.0.10');
  const b = server('10.0.0.11');
  a.up = b.up = false;
  const c = client([a, b]);
  const net = new Net(c, [a, b]);
  const tok = c.accessRequest(pap('alice@isp-a.example', 'secret'), net.now());
  const t0 = net.now();
  net.pump();
  net.run(60_000);
  const to = net.events.find((e) => e.type === 'access-timeout');
  assert.deepEqual(to, { type: 'access-timeout', token: tok, userName: 'alice@isp-a.example' });
  assert.equal(net.sent.length, 6);
  assert.ok(net.sent.at(-1)!.at - t0 < 2 * (500 + 1000 + 2000) * 1.1);
});

test('30 % loss both ways, two servers: every one of 1,000 Access-Requests answered or failed over, within the bound', () => {
  const a = server('10.0.0.10');
  const b = server('10.0.0.11');
  const c = client([a, b], { deadAfterFailures: 3 });
  const net = new Net(c, [a, b], 0.3, 5, 42);
  const start = net.now();
  const tokens = new Set<number>();
  for (let i = 0; i < 1000; i++) tokens.add(c.accessRequest(pap('alice@isp-a.example', 'secret'), net.now()));
  net.pump();
  // Worst case: 3 tries on each of 2 servers at 500/1000/2000 ms with 10 % jitter.
  const bound = 2 * (500 + 1000 + 2000) * 1.1 + 100;
  net.run(bound);
  const done = net.events.filter((e) => (e.type === 'access-response' || e.type === 'access-timeout') && tokens.has(e.token));
  assert.equal(done.length, 1000, 'every request finished within the bound');
  const accepted = done.filter((e) => e.type === 'access-response' && e.accepted).length;
  // Loss 0.3 each way: a try succeeds with p = 0.49; six tries fail together with p ≈ 1.8 %.
  assert.ok(accepted >= 960, `${accepted} accepted`);
  assert.ok(c.counters.retransmits > 500 && c.counters.failovers > 20, JSON.stringify(c.counters));
  assert.ok(net.responses().every((r) => r.latencyMs <= bound));
  // The servers answered retransmissions from their duplicate cache, not with a second decision.
  assert.ok(a.core.counters.duplicates + b.core.counters.duplicates > 100);
  void start;
});

// ---- accounting ------------------------------------------------------------------------

test('accounting Start / Interim-Update / Stop: session attributes, octets split into Gigawords, Acct-Delay-Time, order', () => {
  const p = server();
  const c = client([p]);
  const net = new Net(c, [p]);
  const base = { sessionId: '0000002a', userName: 'alice@isp-a.example', framedIpAddress: ipv4FromString('198.51.100.10'), nasPort: 7, class: [textBytes('c-1')] };
  c.account({ ...base, statusType: AcctStatusType.START }, net.now());
  net.run(3000);
  c.account({ ...base, statusType: AcctStatusType.INTERIM_UPDATE, sessionTime: 300, inputOctets: 5 * 2 ** 32 + 1234, outputOctets: 99, inputPackets: 10, outputPackets: 20 }, net.now());
  c.account({ ...base, statusType: AcctStatusType.STOP, sessionTime: 600, inputOctets: 2 ** 33, outputOctets: 2 ** 32 - 1, inputPackets: 11, outputPackets: 21, terminateCause: 1, eventTimestamp: 1_700_000_000 }, net.now());
  net.pump();
  net.run(3000);
  const lines = net.serverEvents.filter((e): e is Extract<RadiusServerEvent, { type: 'accounting' }> => e.type === 'accounting').map((e) => e.line);
  assert.deepEqual(lines.map((l) => [l.statusType, l.sessionId, l.sessionTime, l.inputOctets, l.outputOctets, l.inputPackets, l.outputPackets, l.terminateCause, l.framedIpAddress]), [
    ['Start', '0000002a', undefined, undefined, undefined, undefined, undefined, undefined, '198.51.100.10'],
    ['Interim-Update', '0000002a', 300, 5 * 2 ** 32 + 1234, 99, 10, 20, undefined, '198.51.100.10'],
    ['Stop', '0000002a', 600, 2 ** 33, 2 ** 32 - 1, 11, 21, 'User-Request', '198.51.100.10'],
  ]);
  const stop = net.sent.map((s) => s.packet).filter((x) => getInt(x, A.ACCT_STATUS_TYPE) === 2)[0]!;
  assert.equal(getInt(stop, A.ACCT_INPUT_OCTETS), 0);
  assert.equal(getInt(stop, A.ACCT_INPUT_GIGAWORDS), 2);
  assert.equal(getInt(stop, A.ACCT_OUTPUT_GIGAWORDS), undefined);
  assert.equal(getInt(stop, A.EVENT_TIMESTAMP), 1_700_000_000);
  assert.equal(bytesText(getAttr(stop, A.CLASS)!.data), 'c-1');
  assert.equal(getInt(stop, A.ACCT_DELAY_TIME), 0);
  assert.equal(lines[0]!.attributes['NAS-Identifier'], 'lns-1');
  assert.equal(net.events.filter((e) => e.type === 'accounting-acked').length, 3);
});

test('outage: 1,000 sessions of accounting while both servers are down spill past the memory bound, then replay exactly once, in order per session', () => {
  const a = server('10.0.0.10');
  const b = server('10.0.0.11');
  a.up = b.up = false;
  const spool = new MemorySpool();
  const c = client([a, b], { deadAfterFailures: 1, deadTimeMs: 10_000, acctMemoryLimit: 200, acctWindow: 64, acctProbeIntervalMs: 2000, spool });
  const net = new Net(c, [a, b], 0.05, 5, 3);
  for (let s = 0; s < 1000; s++) c.account({ statusType: AcctStatusType.START, sessionId: `s${s}`, userName: `u${s}` }, net.now());
  net.pump();
  net.run(5000);
  for (let s = 0; s < 1000; s++) c.account({ statusType: AcctStatusType.INTERIM_UPDATE, sessionId: `s${s}`, sessionTime: 60 }, net.now());
  net.run(30_000);
  for (let s = 0; s < 1000; s++) c.account({ statusType: AcctStatusType.STOP, sessionId: `s${s}`, sessionTime: 120, terminateCause: 1 }, net.now());
  net.pump();
  net.run(60_000);
  assert.equal(c.accountingBacklog, 3000, 'nothing acknowledged, nothing lost');
  // At most the memory bound plus the records that came back from a failed window stay in memory.
  assert.ok(spool.length >= 3000 - 200 - 64, `spilled: ${spool.length}`);
  assert.ok(c.counters.acctProbes > 3 && c.counters.acctProbes < 100, `probes while down: ${c.counters.acctProbes}`);
  // The first window of 64 tries both servers 3 times each before they are known dead; after
  // that one record at a time probes them (6 transmissions per probe), not the whole queue.
  const sentWhileDown = net.sent.length;
  assert.ok(sentWhileDown <= 64 * 6 + c.counters.acctProbes * 6, `one probe at a time while all are dead, not a flood: ${sentWhileDown}`);
  b.up = true;
  net.run(120_000);
  a.up = true;
  net.run(120_000);
  assert.equal(c.accountingBacklog, 0);
  const seen = [...a.core.counters.accountingRequests ? [] : [], ...net.serverEvents]
    .filter((e): e is Extract<RadiusServerEvent, { type: 'accounting' }> => e.type === 'accounting')
    .map((e) => e.line);
  assert.equal(seen.length, 3000, 'every record logged exactly once');
  const per = new Map<string, string[]>();
  for (const l of seen) per.set(l.sessionId!, [...(per.get(l.sessionId!) ?? []), String(l.statusType)]);
  assert.equal(per.size, 1000);
  for (const [s, order] of per) assert.deepEqual(order, ['Start', 'Interim-Update', 'Stop'], s);
  // Acct-Delay-Time says how long each record waited (RFC 2866 §5.2).
  assert.ok(seen.every((l) => (l.delayTime ?? 0) >= 30));
});

test('spool records survive JSON (octets as hex), in the spool file format', () => {
  const r = { statusType: 2, sessionId: 'x', class: [Uint8Array.of(1, 2, 255)], seq: 5, createdAt: 1, attributes: [{ type: 200, data: Uint8Array.of(9) }] };
  assert.equal(recordToJson(r), '{"statusType":2,"sessionId":"x","class":[{"hex":"0102ff"}],"seq":5,"createdAt":1,"attributes":[{"type":200,"data":{"hex":"09"}}]}');
  assert.deepEqual(recordFromJson(recordToJson(r)), r);
  const vsa = { statusType: 1, sessionId: 'y', seq: 6, createdAt: 2, attributes: [{ type: 26 as const, vendorId: 311, vsas: [{ vendorType: 28, data: Uint8Array.of(192, 0, 2, 53) }] }] };
  assert.equal(recordToJson(vsa), '{"statusType":1,"sessionId":"y","seq":6,"createdAt":2,"attributes":[{"type":26,"vendorId":311,"vsas":[{"vendorType":28,"data":{"hex":"c0000235"}}]}]}');
  assert.deepEqual(recordFromJson(recordToJson(vsa)), vsa);
  const plain = { statusType: 1, sessionId: 'z', userName: 'u@isp-a.example', framedIpAddress: 0x0a000002, seq: 7, createdAt: 3 };
  assert.equal(recordToJson(plain), '{"statusType":1,"sessionId":"z","userName":"u@isp-a.example","framedIpAddress":167772162,"seq":7,"createdAt":3}');
  assert.deepEqual(recordFromJson(recordToJson(plain)), plain);
  assert.deepEqual(r.class[0], Uint8Array.of(1, 2, 255), 'the record itself is not changed');
});

// ---- bad input -----------------------------------------------------------------------

function oneExchange(p: Peer, c: RadiusClient, tamper: Net['tamper']): Net {
  const net = new Net(c, [p]);
  net.tamper = tamper;
  c.accessRequest(pap('alice@isp-a.example', 'secret'), net.now());
  net.pump();
  net.run(10_000);
  return net;
}

test('bad input to the client: wrong secret, bad or missing Message-Authenticator, lying lengths, wrong source: discarded and counted, never accepted', () => {
  const resign = (b: Uint8Array, reqAuth: Uint8Array, secret = SECRET) => {
    b.fill(0, 4, 20);
    const p = radiusPacket.parse(b);
    if (p.ok) {
      const ma = getAttr(p.value, A.MESSAGE_AUTHENTICATOR);
      ma?.data.fill(0);
    }
    signPacket(b, secret, reqAuth);
    return b;
  };
  const cases: [string, Net['tamper'], string][] = [
    ['signed with another secret', (b, t) => ({ bytes: resign(b, t.packet.authenticator, 'not-the-secret') }), 'bad-authenticator'],
    ['Message-Authenticator altered, Response Authenticator recomputed over it', (b, t) => {
      const ma = radiusPacket.parse(b);
      if (ma.ok) getAttr(ma.value, A.MESSAGE_AUTHENTICATOR)!.data[0]! ^= 1;
      b.fill(0, 4, 20);
      const h = createHash('md5').update(b.subarray(0, 4)).update(t.packet.authenticator).update(b.subarray(20)).update(SECRET).digest();
      b.set(h, 4);
      return { bytes: b };
    }, 'bad-message-authenticator'],
    ['Message-Authenticator removed (BlastRADIUS)', (b, t) => {
      const p = radiusPacket.parse(b);
      if (!p.ok) return undefined;
      const stripped = encode(radiusPacket, { ...p.value, attributes: p.value.attributes.filter((a) => a.type !== A.MESSAGE_AUTHENTICATOR) });
      return { bytes: resign(stripped, t.packet.authenticator) };
    }, 'missing-message-authenticator'],
    ['an attribute Length pointing past the end, correctly signed', (b, t) => {
      const x = new Uint8Array([...b, 18, 40, 0x61]);
      setU16(x, 2, x.length);
      return { bytes: resign(x, t.packet.authenticator) };
    }, 'malformed'],
    ['packet Length larger than the datagram', (b) => {
      setU16(b, 2, b.length + 10);
      return { bytes: b };
    }, 'malformed'],
    ['from another address', (b) => ({ bytes: b, address: ipv4FromString('10.6.6.6') }), 'wrong-source'],
    ['from the right address, another port', (b) => ({ bytes: b, port: 1645 }), 'wrong-source'],
    ['code Accounting-Response to an Access-Request', (b, t) => {
      b[0] = RadiusCode.ACCOUNTING_RESPONSE;
      return { bytes: resign(b, t.packet.authenticator) };
    }, 'unexpected-code'],
    ['19 octets', (b) => ({ bytes: b.subarray(0, 19) }), 'short'],
  ];
  for (const [what, tamper, reason] of cases) {
    const p = server();
    const c = client([p], { triesPerServer: 1 });
    const net = oneExchange(p, c, tamper);
    assert.equal(net.responses().length, 0, `${what}: not accepted`);
    assert.equal(c.counters.dropped[reason as keyof typeof c.counters.dropped], 1, `${what}: counted as ${reason} (${JSON.stringify(c.counters.dropped)})`);
    assert.equal(net.events.filter((e) => e.type === 'access-timeout').length, 1, `${what}: the request times out instead`);
  }
});

test('unknown attributes and vendor attributes in an answer are kept; without Message-Authenticator accepted only when configured, with a warning', () => {
  const p = server();
  const c = client([p]);
  const net = oneExchange(p, c, (b, t) => {
    const x = radiusPacket.parse(b);
    if (!x.ok) return undefined;
    const more = encode(radiusPacket, { ...x.value, attributes: [...x.value.attributes, { type: 240, data: Uint8Array.of(1, 2, 3) }, { type: 26, vendorId: 4242, vsas: [{ vendorType: 1, data: textBytes('x') }] }] });
    more.fill(0, 4, 20);
    getAttrZero(more);
    signPacket(more, SECRET, t.packet.authenticator);
    return { bytes: more };
  });
  const [r] = net.responses();
  assert.ok(r?.accepted);
  assert.deepEqual([...(r.packet.attributes.find((a) => a.type === 240) as { data: Uint8Array }).data], [1, 2, 3]);
  assert.ok(r.packet.attributes.some((a) => 'vsas' in a && a.vendorId === 4242));

  // FreeRADIUS 3.2.1 style: no Message-Authenticator in the answer.
  const strip: Net['tamper'] = (b, t) => {
    const x = radiusPacket.parse(b);
    if (!x.ok) return undefined;
    const s = encode(radiusPacket, { ...x.value, attributes: x.value.attributes.filter((a) => a.type !== A.MESSAGE_AUTHENTICATOR) });
    signPacket(s, SECRET, t.packet.authenticator);
    return { bytes: s };
  };
  const p2 = server();
  const lax = new RadiusClient({ servers: [{ address: p2.address, secret: SECRET, requireMessageAuthenticator: false, name: 'old-freeradius' }], nasIdentifier: 'lns-1', initialRtoMs: 500 });
  const net2 = oneExchange(p2, lax, strip);
  assert.equal(net2.responses().length, 1);
  assert.equal(lax.counters.acceptedWithoutMessageAuthenticator, 1);
  const warn = net2.events.find((e) => e.type === 'warning');
  assert.match(warn && 'message' in warn ? warn.message : '', /old-freeradius.*WITHOUT Message-Authenticator.*BlastRADIUS/);
  assert.doesNotMatch(warn && 'message' in warn ? warn.message : '', new RegExp(SECRET), 'no secret in a warning');
});

function getAttrZero(b: Uint8Array): void {
  const p = radiusPacket.parse(b);
  if (p.ok) getAttr(p.value, A.MESSAGE_AUTHENTICATOR)?.data.fill(0);
}

test('replayed answers: after completion (unknown id), and onto a new request that reuses the id (bad authenticator)', () => {
  const p = server();
  const c = client([p], { maxSockets: 1, triesPerServer: 1, initialRtoMs: 1000 });
  const captured: Uint8Array[] = [];
  const net = new Net(c, [p]);
  net.tamper = (b) => {
    captured.push(new Uint8Array(b));
    return { bytes: b };
  };
  c.accessRequest(pap('alice@isp-a.example', 'secret'), net.now());
  net.pump();
  net.run(100);
  assert.equal(net.responses().length, 1);
  const old = captured[0]!;
  c.handle({ socket: 0, address: ipv4FromString(p.address), port: 1812, bytes: old }, net.now());
  assert.equal(c.counters.dropped['unknown-identifier'], 1, JSON.stringify(c.counters.dropped));
  // Fill the id space so the replayed id is in use by a different request.
  net.tamper = () => undefined;
  for (let i = 0; i < 256; i++) c.accessRequest(pap('alice@isp-a.example', 'Secret'), net.now());
  net.pump();
  c.handle({ socket: 0, address: ipv4FromString(p.address), port: 1812, bytes: old }, net.now());
  assert.equal(c.counters.dropped['bad-authenticator'], 1);
  assert.equal(net.responses().length, 1, 'the replay completed nothing');
});

// ---- dynamic authorization -----------------------------------------------------------

function daeRequest(code: number, attrs: RadiusPacket['attributes'], secret = SECRET, id = 1): Uint8Array {
  const b = encode(radiusPacket, { code, identifier: id, authenticator: new Uint8Array(16), attributes: [...attrs, messageAuthenticatorAttr()] });
  signPacket(b, secret);
  return b;
}

test('Dynamic Authorization (RFC 5176): Disconnect and CoA verified, handed to the owner, ACK/NAK signed; forgeries dropped; duplicates answered from cache', () => {
  const dae = new DynamicAuthorizationServer({ clients: [{ address: '10.0.0.10', secret: SECRET }], nasIpAddress: ipv4FromString('10.0.0.1'), pendingTimeoutMs: 5000 });
  const events: DaeEvent[] = [];
  const drain = () => {
    for (let e = dae.pollEvent(); e; e = dae.pollEvent()) events.push(e);
  };
  const disc = daeRequest(RadiusCode.DISCONNECT_REQUEST, [textAttr(A.USER_NAME, 'alice@isp-a.example'), textAttr(A.ACCT_SESSION_ID, '0000002a'), ipv4Attr(A.NAS_IP_ADDRESS, ipv4FromString('10.0.0.1'))]);
  dae.handle({ address: ipv4FromString('10.0.0.10'), port: 5000, bytes: disc }, 0);
  drain();
  assert.equal(events.length, 1);
  assert.equal(events[0]!.type, 'disconnect-request');
  assert.deepEqual(events[0]!.session, { userName: 'alice@isp-a.example', acctSessionId: '0000002a' });
  dae.respond(events[0]!.token, { ack: true }, 1);
  const ack = dae.pollTransmit()!;
  assert.equal(ack.bytes[0], RadiusCode.DISCONNECT_ACK);
  assert.ok(verifyResponseAuthenticator(ack.bytes, SECRET, disc.subarray(4, 20)));
  assert.equal(checkMessageAuthenticator(ack.bytes, SECRET, disc.subarray(4, 20)), 'valid');
  // The same request again: the cached ACK, the owner is not asked twice.
  dae.handle({ address: ipv4FromString('10.0.0.10'), port: 5000, bytes: disc }, 2);
  drain();
  assert.equal(events.length, 1);
  assert.deepEqual(Buffer.from(dae.pollTransmit()!.bytes), Buffer.from(ack.bytes));
  assert.equal(dae.counters.duplicates, 1);
  // CoA refused by the owner → CoA-NAK with Error-Cause.
  const coa = daeRequest(RadiusCode.COA_REQUEST, [textAttr(A.ACCT_SESSION_ID, 'nope'), intAttr(A.SESSION_TIMEOUT, 60)], SECRET, 2);
  dae.handle({ address: ipv4FromString('10.0.0.10'), port: 5000, bytes: coa }, 3);
  drain();
  assert.equal(events[1]!.type, 'coa-request');
  assert.equal(getInt(events[1]!.packet, A.SESSION_TIMEOUT), 60);
  dae.respond(events[1]!.token, { ack: false, errorCause: 503 }, 4);
  const nak = dae.pollTransmit()!;
  assert.equal(nak.bytes[0], RadiusCode.COA_NAK);
  assert.equal(getInt(nak.packet, A.ERROR_CAUSE), 503);
  // Another NAS named: NAK 403 without bothering the owner.
  const other = daeRequest(RadiusCode.DISCONNECT_REQUEST, [ipv4Attr(A.NAS_IP_ADDRESS, ipv4FromString('10.9.9.9'))], SECRET, 3);
  dae.handle({ address: ipv4FromString('10.0.0.10'), port: 5000, bytes: other }, 5);
  drain();
  assert.equal(events.length, 2);
  assert.equal(getInt(dae.pollTransmit()!.packet, A.ERROR_CAUSE), 403);
  // An owner that never answers: NAK 506 after the pending timeout.
  const slow = daeRequest(RadiusCode.DISCONNECT_REQUEST, [textAttr(A.ACCT_SESSION_ID, 'slow')], SECRET, 4);
  dae.handle({ address: ipv4FromString('10.0.0.10'), port: 5000, bytes: slow }, 10);
  drain();
  assert.equal(dae.nextTimeout(), 5010);
  dae.handleTimeout(5010);
  assert.equal(getInt(dae.pollTransmit()!.packet, A.ERROR_CAUSE), 506);
  // Forgeries and strangers: silently discarded and counted.
  dae.handle({ address: ipv4FromString('10.0.0.10'), port: 5000, bytes: daeRequest(RadiusCode.DISCONNECT_REQUEST, [textAttr(A.USER_NAME, 'x')], 'wrong', 9) }, 20);
  dae.handle({ address: ipv4FromString('10.0.0.99'), port: 5000, bytes: disc }, 20);
  const badMa = new Uint8Array(daeRequest(RadiusCode.COA_REQUEST, [textAttr(A.USER_NAME, 'x')], SECRET, 10));
  badMa[badMa.length - 1]! ^= 1;
  dae.handle({ address: ipv4FromString('10.0.0.10'), port: 5000, bytes: badMa }, 20);
  dae.handle({ address: ipv4FromString('10.0.0.10'), port: 5000, bytes: daeRequest(RadiusCode.ACCESS_REQUEST, [], SECRET, 11) }, 20);
  const lying = new Uint8Array([...daeRequest(RadiusCode.COA_REQUEST, [], SECRET, 12)]);
  lying[21] = 200;
  dae.handle({ address: ipv4FromString('10.0.0.10'), port: 5000, bytes: lying }, 20);
  drain();
  assert.equal(events.length, 3, 'none of the five reached the owner');
  assert.equal(dae.pollTransmit(), undefined, 'and none was answered');
  // badMa: flipping an octet of the MA also breaks the Request Authenticator, which is checked first.
  assert.deepEqual(dae.counters.dropped, { 'unknown-client': 1, short: 0, malformed: 1, 'unexpected-code': 1, 'bad-authenticator': 2, 'bad-message-authenticator': 0, 'missing-message-authenticator': 0, 'duplicate-pending': 0 });
});
