/**
 * The box fuzzer: every box of the in-process network (src/sim/network.ts, virtual clock)
 * gets N hostile frames (fuzz/hostile.ts) on each of its ports while a live session pings
 * the server every second. A box that throws, or a ping the live session loses, is a
 * failure; frames that are exact valid teardowns of the live session are counted apart.
 *
 * Decisions (docs/fuzzing.md says why): each box's phase runs on a fresh network (a finding
 * belongs to one box, and one box's scars do not hide the next one's); frames are injected
 * at the box's driver (`Driver.input`), past the switch's MAC filter, as a hostile station
 * on the link may send any destination address.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parse } from 'yaml';
import { Network, type NetEvent } from '../src/sim/network.js';
import { VirtualClock } from '../src/sim/clock.js';
import { topologySchema, type Topology } from '../src/config/topology.js';
import { sites, type Site } from '../src/config/assemble.js';
import { CARRIER_RADIUS_SECRET, ispPlan } from '../src/config/derive.js';
import { PcapngWriter, LinkType } from '../src/wire/pcap.js';
import { ipv4FromString, u16, u32, bytesEqual } from '../src/wire/bytes.js';
import { verifyRequestAuthenticator } from '../src/wire/radius-crypto.js';
import { HostileFrames, HOSTILE_KINDS, Prng, forgeRadiusAnswer, loadCaptureFrames, type HostileKind, type PortTarget, type Recorded, type Station } from './hostile.js';
import type { Home } from '../src/roles/home.js';
import type { Box } from '../src/roles/box.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CAPTURES_DIR = path.resolve(ROOT, '../shared/captures');
const EPOCH = Date.UTC(2026, 0, 1);
/** Frames of warm-up traffic kept per segment as seeds. */
const RECORD_LIMIT = 4000;
/** At most one exact teardown of the live session per this much virtual time (ms); others are withheld and counted. */
const TEARDOWN_SPACING_MS = 30_000;

export type Lookup = 'radius' | 'static';

export interface BoxFuzzOptions {
  /** Hostile frames per port. */
  readonly count: number;
  readonly seed: number;
  /** Carrier-RADIUS LNS lookup on (`radius`), off (`static`), or both (default). */
  readonly lookups?: readonly Lookup[];
  /** Only boxes whose name contains this. */
  readonly only?: string;
  /** Hostile frames per virtual second (default 1,000). */
  readonly rate?: number;
  /** Record what the fuzzed boxes send during their phase into this pcapng writer (up to `responseLimit` frames per box). */
  readonly responses?: PcapngWriter;
  readonly responseLimit?: number;
  readonly log?: (line: string) => void;
  /** Called with each phase's network after its warm-up (for tracing a finding). */
  readonly inspect?: (net: Network, box: string) => void;
}

export interface BoxFuzzResult {
  /** The line name: the box, with `@static-lookup` in the carrier-RADIUS-off variant. */
  readonly name: string;
  readonly box: string;
  readonly lookup: Lookup;
  frames: number;
  byKind: Record<HostileKind, number>;
  throws: number;
  /** The first throw: which box, its stack and the frame (hex) it was handling. */
  firstThrow?: string;
  /** Distinct throw sites (first stack line), with counts. */
  throwSites: Map<string, number>;
  pingsSent: number;
  pingsAnswered: number;
  /** Pings lost without an exact teardown of the live session before them: failures. */
  lostPings: number;
  /** The frames injected just before the first lost ping (kind, port, hex). */
  firstLoss?: string;
  /** Exact valid teardowns of the live session injected (PADT, LCP/IPCP renegotiation, StopCCN/CDN, signed Disconnect-Request, ARP take-over), by kind. */
  teardowns: Map<string, number>;
  /** Teardowns generated but not injected (at most one per 30 s is). */
  withheld: number;
  /** Pings lost after a teardown, before the live session was back: not counted in A/B. */
  excusedPings: number;
  /** Times the live session was brought up again. */
  restarts: number;
  responses: number;
  wallMs: number;
}

export function defaultTopology(lookup: Lookup): Topology {
  const raw = parse(readFileSync(path.join(ROOT, 'topologies/default.yaml'), 'utf8')) as { sse: { lnsLookup: string }; isps: { users: unknown[] }[]; homes: unknown[] };
  raw.sse.lnsLookup = lookup;
  // A second home on isp-b, so that every LNS has a home that comes and goes beside the live one.
  raw.isps[1]!.users.push({ name: 'dave@isp-b.example', password: 'd4ve' });
  raw.homes.push({ name: 'home4', user: 'dave@isp-b.example', password: 'd4ve' });
  return topologySchema.parse(raw);
}

/** The boxes a run fuzzes, in order: every box of the topology, and of the homes the live one. */
export function fuzzedBoxes(t: Topology): Site[] {
  return sites(t).filter((s) => s.kind !== 'home' || s.name === t.homes[0]!.name);
}

/** The live session's identifiers, as the boxes announced them. */
interface Live {
  home: Home;
  homeMac: Uint8Array;
  sseMac: Uint8Array;
  user: string;
  pppoeId: number;
  tunnels: Set<number>;
  sessions: Set<number>;
  /** DAE secret and the nte's RADIUS-link address, for a signed Disconnect-Request. */
  daeSecret: string;
  /** IPv4 address → MAC of the stations the live session's packets pass (for ARP take-overs). */
  owners: Map<number, Uint8Array>;
  /** Whether the box under fuzz carries the live session's packets (only then can an ARP take-over cost a ping). */
  onPath: boolean;
  /** Live tunnel: its two ids, and the Ns each end expects next (from the Nr it last sent), by the receiver's own id. */
  expectedNs: Map<number, number>;
}

/**
 * Follows the live tunnel's control channel: a box that sends to tunnel id R with Nr n expects
 * Ns n next on its own id (the other id of the pair).
 */
function followControl(live: Live, f: Uint8Array): void {
  if (f.length < 54 || u16(f, 12) !== 0x0800 || f[23] !== 17) return;
  const u = 14 + (f[14]! & 15) * 4;
  if (u + 20 > f.length || (u16(f, u) !== 1701 && u16(f, u + 2) !== 1701)) return;
  const a = u + 8;
  const fl = u16(f, a);
  if ((fl & 0xc800) !== 0xc800) return;
  const to = u16(f, a + 4);
  if (!live.tunnels.has(to) || live.tunnels.size !== 2) return;
  for (const own of live.tunnels) if (own !== to) live.expectedNs.set(own, u16(f, a + 10));
}

const CP_DISRUPTING: Record<number, (code: number) => boolean> = {
  // RFC 1661 §4: Configure-*, Terminate-*, Code-Reject and Protocol-Reject in Opened restart or end the link.
  0xc021: (c) => c >= 1 && c <= 8,
  0x8021: (c) => c >= 1 && c <= 7,
  // RFC 1994 §4: a Challenge at any time re-authenticates; Success/Failure end it.
  0xc223: (c) => c >= 1 && c <= 4,
  0xc023: (c) => c >= 1 && c <= 3,
};

function pppTeardown(b: Uint8Array, o: number, end: number): string | undefined {
  if (o + 2 <= end && b[o] === 0xff && b[o + 1] === 0x03) o += 2;
  if (o + 6 > end) return undefined;
  const proto = u16(b, o);
  const f = CP_DISRUPTING[proto];
  const code = b[o + 2]!;
  const len = u16(b, o + 4);
  if (!f || !f(code) || len < 4 || o + 2 + len > end) return undefined;
  return `${proto === 0xc021 ? 'lcp' : proto === 0x8021 ? 'ipcp' : proto === 0xc223 ? 'chap' : 'pap'}-code-${code}`;
}

/**
 * Whether `b` is an exact, valid message that by its RFC may end or restart the live
 * session: a peer on that link may legitimately send it, so a ping it costs is not a finding.
 */
export function liveTeardown(b: Uint8Array, live: Live): string | undefined {
  if (b.length < 14) return undefined;
  const type = u16(b, 12);
  const src = b.subarray(6, 12);
  const fromPeer = bytesEqual(src, live.homeMac) || bytesEqual(src, live.sseMac);
  if ((type === 0x8863 || type === 0x8864) && b.length >= 20 && b[14] === 0x11 && u16(b, 16) === live.pppoeId && fromPeer) {
    const len = u16(b, 18);
    if (20 + len > b.length) return undefined;
    if (type === 0x8863) return b[15] === 0xa7 ? 'padt' : undefined;
    return b[15] === 0 ? pppTeardown(b, 20, 20 + len) : undefined;
  }
  if (type === 0x0806 && b.length >= 42 && live.onPath) {
    const spa = u32(b, 28);
    const owner = live.owners.get(spa);
    return owner && !bytesEqual(owner, b.subarray(22, 28)) ? 'arp-takeover' : undefined;
  }
  if (type !== 0x0800 || b.length < 34 || b[14]! >> 4 !== 4 || b[23] !== 17) return undefined;
  const hl = (b[14]! & 15) * 4;
  const u = 14 + hl;
  if (u + 8 > b.length) return undefined;
  const end = Math.min(b.length, 14 + u16(b, 16));
  const sp = u16(b, u);
  const dp = u16(b, u + 2);
  const a = u + 8;
  if ((sp === 1701 || dp === 1701) && a + 6 <= end) {
    const fl = u16(b, a);
    let o = a + 2 + (fl & 0x4000 ? 2 : 0);
    const tunnel = u16(b, o);
    const session = u16(b, o + 2);
    o += 4 + (fl & 0x0800 ? 4 : 0);
    if (!live.tunnels.has(tunnel)) return undefined;
    if (fl & 0x8000) {
      // RFC 2661 §5.8: a control message whose Ns is in the receiver's window is taken in sequence, whoever
      // sent it; the real peer's next message is then a duplicate and the channel dies of retransmission.
      // There is no message authentication in L2TPv2 to tell them apart, so this is the peer's right too.
      const want = live.expectedNs.get(tunnel);
      const ns = fl & 0x0800 && a + 12 <= end ? u16(b, a + 8) : -1;
      if (want !== undefined && ns >= 0 && o < end && ((ns - want + 0x10000) & 0xffff) < 64) return 'l2tp-in-sequence';
      // StopCCN and CDN end the tunnel or the call.
      if (o + 8 > end) return undefined;
      const mt = u16(b, o + 6);
      if (u16(b, o + 4) === 0 && (mt === 4 || (mt === 14 && live.sessions.has(session)))) return mt === 4 ? 'l2tp-stopccn' : 'l2tp-cdn';
      return undefined;
    }
    if (!live.sessions.has(session)) return undefined;
    if (fl & 0x0200) o += 2 + (o + 2 <= end ? u16(b, o) : 0);
    return pppTeardown(b, o, end);
  }
  if (dp === 3799 && a + 20 <= end && (b[a] === 40 || b[a] === 43) && verifyRequestAuthenticator(b.subarray(a, end), live.daeSecret)) return 'radius-disconnect';
  return undefined;
}

interface Phase {
  net: Network;
  clock: VirtualClock;
  live: Live;
  recorded: Map<string, Recorded[]>;
  stations: Map<string, Station[]>;
  onThrow: (f: (box: string, e: unknown, frame: Uint8Array | undefined) => void) => void;
}

/** A fresh network, every home online, warm-up traffic recorded (incl. every teardown direction), the live session up. */
function warmUp(t: Topology, liveHomeName: string, fuzzed: string): Phase {
  const clock = new VirtualClock(EPOCH);
  const net = new Network(t, { clock });
  const events: NetEvent[] = [];
  net.onEvent((e) => events.push(e));
  let thrower: (box: string, e: unknown, frame: Uint8Array | undefined) => void = (box, e) => {
    throw new Error(`box ${box} threw during warm-up: ${(e as Error).stack}`);
  };
  let lastInput: Uint8Array | undefined;
  for (const [name, d] of net.drivers) {
    const box = d.box as Box<string, unknown> & { handleFrame: Box['handleFrame']; handleTimeout: Box['handleTimeout'] };
    const hf = box.handleFrame.bind(box);
    const ht = box.handleTimeout.bind(box);
    box.handleFrame = (port, frame, now) => {
      lastInput = frame;
      try {
        hf(port, frame, now);
      } catch (e) {
        thrower(name, e, frame);
      }
    };
    box.handleTimeout = (now) => {
      try {
        ht(now);
      } catch (e) {
        thrower(name, e, lastInput);
      }
    };
  }
  // Record every segment, and learn the stations' addresses from their ARP.
  const recorded = new Map<string, Recorded[]>();
  const stations = new Map<string, Station[]>();
  const owner = new Map<string, string>();
  for (const s of sites(t)) for (const [port, link] of Object.entries(s.links)) {
    const list = stations.get(link) ?? [];
    list.push({ name: s.name, mac: s.macs[port]! });
    stations.set(link, list);
    owner.set(`${link}/${s.name}`, port);
  }
  let recording = true;
  for (const [name, seg] of net.segments) {
    const list: Recorded[] = [];
    recorded.set(name, list);
    seg.observe((frame, from) => {
      if (frame.length >= 42 && u16(frame, 12) === 0x0806) {
        const st = stations.get(name)?.find((x) => bytesEqual(x.mac, frame.subarray(22, 28)));
        if (st && st.ip === undefined) st.ip = u32(frame, 28);
      }
      if (recording && list.length < RECORD_LIMIT) list.push({ frame: new Uint8Array(frame), from });
    });
  }
  const home = (n: string): Home => net.homes.find((h) => h.cfg.name === n)!;
  const up = (names: string[]): void => {
    for (const n of names) net.act(n, (now) => home(n).start(now));
    if (!clock.runUntilTrue(() => names.every((n) => home(n).isOnline), clock.now() + 60_000)) throw new Error(`warm-up: ${names.filter((n) => !home(n).isOnline).join(', ')} did not come online`);
  };
  const server = ipv4FromString(t.server.address);
  const pingAll = (): void => {
    for (let k = 1; k <= 3; k++) {
      for (const h of net.homes) net.act(h.cfg.name, (now) => h.ping(server, k, now));
      clock.runUntil(clock.now() + 1000);
    }
  };
  const all = t.homes.map((h) => h.name);
  up(all);
  pingAll();
  // Every teardown direction once, on the homes that are not live, so that the seeds hold them.
  const others = all.filter((n) => n !== liveHomeName);
  const [a, b] = others;
  if (a) {
    net.act(a, (now) => home(a).padt(now));
    clock.runUntil(clock.now() + 3000);
    up([a]);
  }
  if (b) {
    net.act(b, (now) => home(b).disconnect(now));
    clock.runUntil(clock.now() + 5000);
    up([b]);
  }
  const bob = t.homes.find((h) => h.name === a);
  const bobIsp = bob && t.isps.find((x) => bob.user.endsWith(`@${x.domain}`));
  if (a && bobIsp && bobIsp.radius === 'embedded') {
    net.disconnectRequest(bobIsp.name, bob.user);
    clock.runUntil(clock.now() + 3000);
    up([a]);
  }
  pingAll();
  clock.runUntil(clock.now() + 65_000); // an L2TP Hello and an LCP echo each way
  recording = false;

  const liveHome = home(liveHomeName);
  const liveCfg = t.homes.find((h) => h.name === liveHomeName)!;
  const ispIndex = t.isps.findIndex((x) => liveCfg.user.endsWith(`@${x.domain}`));
  const sse = sites(t)[0]!;
  const live: Live = {
    home: liveHome, homeMac: liveHome.mac, sseMac: sse.macs.access!, user: liveCfg.user,
    pppoeId: liveHome.sessionId, tunnels: new Set(), sessions: new Set(),
    daeSecret: ispPlan(t, ispIndex).radiusSecret, owners: new Map(), onPath: false, expectedNs: new Map(),
  };
  const learn = (e: NetEvent): void => {
    if (e.kind === 'sse' && e.event.type === 'relaying' && e.event.user === live.user) {
      live.pppoeId = e.event.pppoeSessionId;
      live.tunnels = new Set([e.event.tunnelId, e.event.peerTunnelId]);
      live.sessions = new Set([e.event.sessionId, e.event.peerSessionId]);
    }
  };
  for (const e of events) learn(e);
  net.onEvent(learn);
  net.segments.get('carrier')?.observe((f) => followControl(live, f));
  const path = new Set([t.sse.name, t.isps[ispIndex]!.lns.name, t.router.name, t.server.name, liveHomeName]);
  for (const list of stations.values()) for (const s of list) if (s.ip !== undefined && path.has(s.name)) live.owners.set(s.ip, s.mac);
  live.onPath = path.has(fuzzed);
  return { net, clock, live, recorded, stations, onThrow: (f) => { thrower = f; } };
}

function emptyKinds(): Record<HostileKind, number> {
  return Object.fromEntries(HOSTILE_KINDS.map((k) => [k, 0])) as Record<HostileKind, number>;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/**
 * Whether a frame a box sent is its own answer rather than someone's packet it forwards:
 * routed IPv4 (a source address not the box's), PPP the sse relays between PPPoE and L2TP,
 * and IPv4 an LNS carries in L2TP data are the attacker's bytes passed on, not the box's
 * output, so the tshark check leaves them out.
 */
export function authored(f: Uint8Array, selfIp: number | undefined, kind: string): boolean {
  if (f.length < 14) return true;
  const type = u16(f, 12);
  if (type === 0x8864) return kind !== 'sse';
  if (type !== 0x0800 || f.length < 34) return true;
  if (selfIp !== undefined && u32(f, 26) !== selfIp) return false;
  const hl = (f[14]! & 15) * 4;
  const u = 14 + hl;
  if (f[23] !== 17 || u + 8 > f.length || (u16(f, u) !== 1701 && u16(f, u + 2) !== 1701)) return true;
  const a = u + 8;
  if (a + 2 > f.length || u16(f, a) & 0x8000) return true;
  if (kind === 'sse') return false;
  const fl = u16(f, a);
  let o = a + 2 + (fl & 0x4000 ? 2 : 0) + 4 + (fl & 0x0800 ? 4 : 0);
  if (fl & 0x0200) o += 2 + (o + 2 <= f.length ? u16(f, o) : 0);
  if (o + 2 <= f.length && f[o] === 0xff && f[o + 1] === 0x03) o += 2;
  return o + 2 <= f.length && u16(f, o) !== 0x0021;
}

/** Fuzzes one box on a fresh network. */
export function fuzzBox(t: Topology, site: Site, lookup: Lookup, o: BoxFuzzOptions, captures: readonly Uint8Array[], seed: number): BoxFuzzResult {
  const wall0 = performance.now();
  const liveIsp = site.isp ?? 0;
  const liveHomeName = t.homes.find((h) => h.user.endsWith(`@${t.isps[liveIsp]!.domain}`))?.name ?? t.homes[0]!.name;
  const ph = warmUp(t, liveHomeName, site.name);
  const { net, clock, live } = ph;
  o.inspect?.(net, site.name);
  const result: BoxFuzzResult = {
    name: lookup === 'radius' ? site.name : `${site.name}@static-lookup`, box: site.name, lookup,
    frames: 0, byKind: emptyKinds(), throws: 0, throwSites: new Map(), pingsSent: 0, pingsAnswered: 0, lostPings: 0,
    teardowns: new Map(), withheld: 0, excusedPings: 0, restarts: 0, responses: 0, wallMs: 0,
  };
  let injecting: Uint8Array | undefined;
  ph.onThrow((box, e, frame) => {
    result.throws++;
    const stack = (e as Error)?.stack ?? String(e);
    const at = stack.split('\n').slice(0, 3).join(' | ');
    result.throwSites.set(`${box}: ${at}`, (result.throwSites.get(`${box}: ${at}`) ?? 0) + 1);
    if (!result.firstThrow) result.firstThrow = `box ${box} threw: ${stack}\n  frame it was handling: ${frame ? hex(frame) : '-'}\n  hostile frame injected last: ${injecting ? hex(injecting) : '-'}`;
  });

  // What the box under fuzz sends during its phase: one interface per port.
  const w = o.responses;
  const limit = o.responseLimit ?? 20_000;
  const ifaces = new Map<string, number>();
  for (const link of Object.values(site.links)) {
    if (w && !ifaces.has(link)) ifaces.set(link, w.addInterface(LinkType.ETHERNET, `${result.name}/${link}`));
    const selfIp = ph.stations.get(link)?.find((x) => x.name === site.name)?.ip;
    net.segments.get(link)!.observe((frame, from, at) => {
      if (from !== site.name || !w || result.responses >= limit || !authored(frame, selfIp, site.kind)) return;
      result.responses++;
      w.write(ifaces.get(link)!, at, frame);
    });
  }

  const radiusSecret = (link: string): string | undefined => {
    if (link === 'carrier') return t.sse.lnsLookup === 'radius' ? CARRIER_RADIUS_SECRET : undefined;
    const i = t.isps.findIndex((x) => `radius-${x.name}` === link);
    return i >= 0 ? ispPlan(t, i).radiusSecret : undefined;
  };
  const r = new Prng(seed);
  const ports = Object.keys(site.links);
  const gens = ports.map((port) => {
    const link = site.links[port]!;
    const all = ph.stations.get(link) ?? [];
    const self = all.find((s) => s.name === site.name) ?? { name: site.name, mac: site.macs[port]! };
    const target: PortTarget = { self, peers: all.filter((s) => s.name !== site.name), recorded: ph.recorded.get(link) ?? [], captures, ...(radiusSecret(link) ? { radiusSecret: radiusSecret(link)! } : {}) };
    return new HostileFrames(r, target);
  });
  const driver = net.drivers.get(site.name)!;
  const server = ipv4FromString(t.server.address);
  const answered = new Set<number>();
  // What happened to the live session lately (for the report of a lost ping).
  const story: string[] = [];
  net.onEvent((e) => {
    if (e.box === liveHomeName && e.kind === 'home' && e.event.type === 'ip' && e.event.event.kind === 'echo-reply' && e.event.event.from === server) answered.add(e.event.event.sequence);
    else if (e.box === liveHomeName || JSON.stringify(e.event).includes(live.user)) {
      if (story.length >= 6) story.shift();
      story.push(`${((e.at - EPOCH) / 1000).toFixed(3)} ${e.box} ${JSON.stringify(e.event).slice(0, 160)}`);
    }
  });
  const recent: string[] = [];
  // BOXFUZZ_TRACE=1: where each ping's echo request and reply went (for the report of a lost one).
  let path: string[] = [];
  let pattern = Buffer.alloc(0);
  if (process.env.BOXFUZZ_TRACE) for (const [name, seg] of net.segments) seg.observe((f, from, at) => {
    if (pattern.length && Buffer.from(f.buffer, f.byteOffset, f.length).indexOf(pattern) >= 0) path.push(`${((at - EPOCH) / 1000).toFixed(4)} ${name} from ${from}: ${hex(f.subarray(0, 64))}`);
  });
  // Brings the live session up again and waits for a ping through it (those pings are not counted).
  let probe = 1_000_000;
  const restart = (): void => {
    result.restarts++;
    net.act(liveHomeName, (now) => live.home.padt(now));
    clock.runUntil(clock.now() + 3000);
    net.act(liveHomeName, (now) => live.home.start(now));
    clock.runUntilTrue(() => live.home.isOnline, clock.now() + 60_000);
    for (let k = 0; k < 60; k++) {
      const n = ++probe;
      if (live.home.isOnline) net.act(liveHomeName, (now) => live.home.ping(server, n, now));
      clock.runUntil(clock.now() + 1000);
      if (answered.has(n)) break;
      if (!live.home.isOnline) {
        net.act(liveHomeName, (now) => live.home.start(now));
        clock.runUntilTrue(() => live.home.isOnline, clock.now() + 60_000);
      }
    }
  };

  // RADIUS requests the box sends get, now and then, a correctly signed hostile answer first.
  const inject = (port: string, frame: Uint8Array, kind: HostileKind): void => {
    result.frames++;
    result.byKind[kind]++;
    injecting = frame;
    try {
      driver.input(port, frame);
    } catch (e) {
      // The box wrapper catches throws in the box; this is one in the driver or a link.
      result.throws++;
      if (!result.firstThrow) result.firstThrow = `driver of ${site.name} threw: ${(e as Error).stack}\n  frame: ${hex(frame)}`;
    }
  };
  let fuzzing = false;
  for (const [port, link] of Object.entries(site.links)) {
    const secret = radiusSecret(link);
    if (secret === undefined || site.kind === 'radius') continue;
    net.segments.get(link)!.observe((frame, from) => {
      if (!fuzzing || from !== site.name || !r.chance(0.7)) return;
      const answer = forgeRadiusAnswer(r, frame, secret);
      if (answer) clock.setTimer(clock.now(), () => inject(port, answer, 'forged-answer'));
    });
  }
  // A home beside the live one, on the same ISP, comes and goes every 5 s: discovery, RADIUS, tunnel sessions in flight during the flood.
  const churn = t.homes.find((h) => h.name !== liveHomeName && h.user.endsWith(`@${t.isps[liveIsp]!.domain}`))?.name;
  const churnHome = churn ? net.homes.find((h) => h.cfg.name === churn) : undefined;

  const total = o.count * ports.length;
  fuzzing = true;
  const rate = o.rate ?? 1000;
  const perSlice = Math.max(1, Math.round(rate / 10));
  let seq = 10_000;
  let excusedRun = 0;
  let lastTeardown = -Infinity;
  let injected = 0;
  while (injected < total) {
    seq++;
    if (churnHome && seq % 5 === 0) {
      // Each time with a fresh MAC: the flood replays the old one's PADR, and an AC that keeps one session per MAC
      // then refuses the real one (AC-System-Error; docs/fuzzing.md), which would stop the churn.
      if (!churnHome.isOnline) {
        const mac = churnHome.mac;
        mac[4] = 1 + (seq % 250);
        churnHome.mac = mac;
      }
      net.act(churn!, (now) => (churnHome.isOnline ? churnHome.padt(now) : churnHome.start(now)));
    }
    const pinged = live.home.isOnline;
    const sentAt = clock.now();
    path = [];
    pattern = Buffer.from([0x50, 0x53, seq >> 8, seq & 0xff]);
    if (pinged) net.act(liveHomeName, (now) => live.home.ping(server, seq, now));
    for (let s = 0; s < 10; s++) {
      for (let k = 0; k < perSlice && injected < total; k++) {
        const pi = injected % ports.length;
        let g = gens[pi]!.next();
        let td = liveTeardown(g.frame, live);
        for (let tries = 0; td && clock.now() - lastTeardown < TEARDOWN_SPACING_MS && tries < 20; tries++) {
          result.withheld++;
          g = gens[pi]!.next();
          td = liveTeardown(g.frame, live);
        }
        if (td && clock.now() - lastTeardown < TEARDOWN_SPACING_MS) {
          result.withheld++;
          continue;
        }
        if (td) {
          lastTeardown = clock.now();
          result.teardowns.set(td, (result.teardowns.get(td) ?? 0) + 1);
        }
        injected++;
        if (recent.length >= 8) recent.shift();
        recent.push(`${g.kind} on ${ports[pi]}${td ? ` (teardown ${td})` : ''}: ${hex(g.frame)}`);
        inject(ports[pi]!, g.frame, g.kind);
      }
      clock.runUntil(clock.now() + 100);
    }
    // The ping of this second.
    // A teardown excuses the pings of its second and of the next one; a ping sent after it and answered ends the excuse.
    const ok = answered.has(seq);
    const suspect = lastTeardown >= sentAt - 1000 || (excusedRun > 0 && !ok);
    if (ok) {
      result.pingsSent++;
      result.pingsAnswered++;
      excusedRun = 0;
    } else if (suspect) {
      result.excusedPings++;
      if (++excusedRun >= 2 || !live.home.isOnline) {
        restart();
        excusedRun = 0;
      }
    } else {
      result.pingsSent++;
      result.lostPings++;
      if (!result.firstLoss) result.firstLoss = `ping ${seq} ${pinged ? 'unanswered' : 'not sent: the live session was down'} at ${((clock.now() - EPOCH) / 1000).toFixed(1)} s; the frames injected before it:\n    ${recent.join('\n    ')}\n  the live session's last events:\n    ${story.join('\n    ')}${path.length ? `\n  the ping's path:\n    ${path.join('\n    ')}` : ''}`;
      if (!live.home.isOnline) restart();
    }
  }
  fuzzing = false;
  // A last ping after the flood.
  seq++;
  if (live.home.isOnline) net.act(liveHomeName, (now) => live.home.ping(server, seq, now));
  clock.runUntil(clock.now() + 2000);
  if (answered.has(seq)) {
    result.pingsSent++;
    result.pingsAnswered++;
  } else if (lastTeardown >= clock.now() - 4000) result.excusedPings++;
  else {
    result.pingsSent++;
    result.lostPings++;
    if (!result.firstLoss) result.firstLoss = `the last ping after the flood was lost; the frames injected before it:\n    ${recent.join('\n    ')}`;
  }
  net.close();
  result.wallMs = performance.now() - wall0;
  return result;
}

/** The one line per box the issue asks for. */
export function boxLine(r: BoxFuzzResult): string {
  return `fuzz: box ${r.name}: ${r.frames} frames, ${r.throws} throws, live session ${r.pingsAnswered}/${r.pingsSent} pings`;
}

/** Details below the line: teardowns apart, restarts, what was found. */
export function boxDetails(r: BoxFuzzResult): string[] {
  const out: string[] = [];
  const kinds = HOSTILE_KINDS.map((k) => `${k} ${r.byKind[k]}`).join(', ');
  const td = [...r.teardowns].map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  out.push(`  ${kinds}; ${(r.wallMs / 1000).toFixed(1)} s`);
  out.push(`  exact teardowns of the live session injected: ${td} (${r.withheld} more withheld); ${r.excusedPings} pings after them not counted; live session restarted ${r.restarts} times`);
  if (r.firstThrow) {
    for (const [k, v] of r.throwSites) out.push(`  throw x${v}: ${k}`);
    out.push(`  first throw: ${r.firstThrow.replace(/\n/g, '\n  ')}`);
  }
  if (r.firstLoss) out.push(`  first lost ping: ${r.firstLoss}`);
  return out;
}

/** Runs every box (both lookups unless told) and returns the results; `ok` when no box threw and no ping was lost. */
export function fuzzBoxes(o: BoxFuzzOptions): { results: BoxFuzzResult[]; ok: boolean } {
  const log = o.log ?? ((l: string) => console.log(l));
  const captures = loadCaptureFrames(CAPTURES_DIR);
  const results: BoxFuzzResult[] = [];
  let i = 0;
  for (const lookup of o.lookups ?? (['radius', 'static'] as const)) {
    const t = defaultTopology(lookup);
    for (const site of fuzzedBoxes(t)) {
      i++;
      const r0 = lookup === 'radius' ? site.name : `${site.name}@static-lookup`;
      if (o.only && !r0.includes(o.only)) continue;
      // Each box has its own stream of the run's seed, so `--only` reproduces a box's frames.
      const r = fuzzBox(t, site, lookup, o, captures, (o.seed * 7919 + i * 104729) >>> 0);
      results.push(r);
      log(boxLine(r));
      for (const d of boxDetails(r)) log(d);
    }
  }
  return { results, ok: results.every((r) => r.throws === 0 && r.lostPings === 0) };
}
