/**
 * The home emulator: thousands of homes in one process on one real interface
 * (`pseudonet up FILE --box homes --access IF [--homes N]`). Each is a src/roles/home.ts
 * `Home` (PPPoE client, LCP, CHAP or PAP, IPCP, a small IP stack) with its own locally
 * administered MAC derived from its index in the topology, 02:10:II:II:II:II (the MAC the
 * in-process network gives the same home), so several emulator processes can share a link
 * when each runs its own slice (`--from K --count C`). The homes and their users are the
 * topology's; `--homes N` replaces them with N generated ones exactly as the in-process
 * load does (src/sim/load.ts `withHomes`), and the LNS processes given the same `--homes N`
 * know the same users.
 *
 * One AF_PACKET attachment (promiscuous) for every home: a received frame goes to the home
 * its destination MAC names (a map lookup); one timer queue holds every home's next
 * timeout behind one wall-clock timer; after each input batch only the homes that got
 * input are drained. Dialling is paced: at most `window` homes in setup at once and at
 * most `rate` new PADIs per second (0 = no limit), so a burst does not overflow the
 * sockets' buffers on the way. Each home redials by itself after an end it did not ask
 * for (src/roles/home.ts, the topology's `homes[].redial`); the summary counts homes, so a
 * home that goes down and comes back is online once.
 */
import type { Home, HomeEvent } from '../roles/home.js';
import { TimerQueue } from '../proto/timer-queue.js';
import { pppoeClientConfig } from '../proto/pppoe-client.js';
import type { Counters } from '../proto/ppp-common.js';
import { Outbox } from '../proto/outbox.js';
import { Driver, type Clock, type TimerId, type Transmit } from '../roles/box.js';
import { WallClock } from './wall-clock.js';
import type { Topology } from '../config/topology.js';
import { assembleHome, homeMac, sites } from '../config/assemble.js';
import { openAfPacket, type BoxEvent, type EtherPort, type FrameTap, type PortOpener, type RunningBox } from './box.js';
import { ETHERNET_HEADER_LENGTH } from '../wire/ethernet.js';
import { ipv4ToString, macToString, u32 } from '../wire/bytes.js';

/** The name `pseudonet up --box` knows the emulator by. */
export const HOMES_BOX = 'homes';
/** Role byte of home MACs (02:10:...), as src/config/assemble.ts gives them. */
const HOME_MAC_ROLE = homeMac(0)[1]!;

export interface HomesOptions {
  readonly clock?: Clock;
  readonly open?: PortOpener;
  /** Every home's events (box = the home's name) and the emulator's own (box = homes). */
  readonly onEvent?: (e: BoxEvent) => void;
  /** The interface every home is on (default: the `interfaces.access` all the selected homes agree on). */
  readonly access?: string;
  /** First home (1-based index into the topology's homes) and how many from there (default: all the rest). */
  readonly first?: number;
  readonly count?: number;
  /** Dial at once (default true). */
  readonly autoStart?: boolean;
  /** Homes in setup (PADI sent, IPCP not yet up) at once; 0 = no limit. Default 256. */
  readonly window?: number;
  /** New setups started per second; 0 = no limit (default). */
  readonly rate?: number;
  /** Each home's LCP Echo-Request interval (ms); 0 = off. Default 30 s (pppd's usual). */
  readonly echoIntervalMs?: number;
  /** Every frame in or out of the access port (for logs and ladders). */
  readonly onFrame?: FrameTap;
}

type Phase = 'idle' | 'setup' | 'online' | 'down';

interface Member {
  readonly home: Home;
  readonly name: string;
  /** 1-based index in the topology's homes (the MAC's low 32 bits). */
  readonly index: number;
  phase: Phase;
  /** Flood: echo requests in flight, when the last left, the next sequence number. */
  inflight: number;
  lastSent: number;
  floodSeq: number;
}

/** Where the emulator is in dialling: counts and the setup rate once everyone has settled. */
export interface SetupSummary {
  homes: number;
  started: number;
  inSetup: number;
  online: number;
  /** Setups that ended without coming online (discovery, authentication or LCP failed). */
  failed: number;
  /** Sessions that were online and ended. */
  ended: number;
  /** Setups the homes started again by themselves (redial after an end they did not ask for). */
  redials: number;
  /** Homes that stopped redialling after `maxfail` consecutive failed setups. */
  gaveUp: number;
  /** Wall-clock ms from the first PADI to the last IPCP up (once every home has settled). */
  setupMs?: number;
  setupsPerSecond?: number;
}

export interface FloodResult {
  homes: number;
  seconds: number;
  sent: number;
  replies: number;
  /** Requests given up after 1 s without a reply. */
  lost: number;
  repliesPerSecond: number;
  rtt: { min: number; mean: number; max: number };
}

/** Flood pings use sequence numbers with the top bit set; single pings (`ping`) those without. */
const FLOOD_SEQ = 0x8000;

export class HomesBox implements RunningBox {
  readonly name = HOMES_BOX;
  readonly kind = 'homes';
  readonly clock: Clock;
  readonly interfaces: Record<string, string>;
  readonly ports = new Map<string, EtherPort>();
  readonly members: Member[] = [];
  /** Counters shared by every home (drops by reason, retransmits). */
  readonly counters: Counters = {};
  /** Frames the emulator could not give to a home. */
  readonly rx = { toHome: 0, noSuchHome: 0, group: 0, short: 0 };
  readonly events: BoxEvent[] = [];
  /** Homes held down (`homeDown`): hung up, and hung up again should they dial, until `homeUp`. */
  readonly held = new Set<string>();
  private readonly byIndex = new Map<number, Member>();
  private readonly timers = new TimerQueue<Member>();
  private readonly dirty = new Set<Member>();
  private readonly driver: Driver<'access', never>;
  private readonly out = new Outbox<Transmit<'access'>>(1 << 20);
  private readonly port: EtherPort;
  private readonly opts: HomesOptions;
  private readonly window: number;
  private readonly rate: number;
  private next = 0;
  private dialling = false;
  private firstStartAt: number | undefined;
  private lastOnlineAt: number | undefined;
  private settledReported = false;
  private readonly summary: SetupSummary;
  private readonly pings = new Map<number, (rtt: number | undefined) => void>();
  private readonly pings6 = new Map<number, (rtt: number | undefined) => void>();
  private pingSeq = 0;
  private flood: { dst: number; size: number; window: number; sent: number; replies: number; lost: number; rttSum: number; rttMin: number; rttMax: number } | undefined;

  constructor(readonly topology: Topology, opts: HomesOptions = {}) {
    this.opts = opts;
    const clock = (this.clock = opts.clock ?? new WallClock());
    const t = topology;
    for (const b of sites(t).map((x) => x.name)) {
      if (b === HOMES_BOX) throw new Error(`the topology has a box named "${HOMES_BOX}": that name is the home emulator's (rename the box)`);
    }
    const first = opts.first ?? 1;
    if (!Number.isInteger(first) || first < 1) throw new Error(`--from must be a home number from 1 (got ${first})`);
    const last = opts.count === undefined ? t.homes.length : first - 1 + opts.count;
    if (opts.count !== undefined && (!Number.isInteger(opts.count) || opts.count < 1)) throw new Error(`--count must be a positive whole number (got ${opts.count})`);
    const selected = t.homes.slice(first - 1, last);
    if (!selected.length) throw new Error(`no homes to run: the topology has ${t.homes.length} home${t.homes.length === 1 ? '' : 's'} (give --homes N to generate N homes and their users)`);
    if (last > t.homes.length) throw new Error(`--from ${first} --count ${opts.count}: the topology has only ${t.homes.length} homes`);
    let access = opts.access;
    if (!access) {
      const named = new Set(selected.map((h) => h.interfaces?.access));
      if (named.size !== 1 || [...named][0] === undefined) throw new Error(`the home emulator needs one interface for all its homes: give --access IFNAME${named.size > 1 ? ` (the homes' interfaces.access differ: ${[...named].map(String).join(', ')})` : ''}`);
      access = [...named][0]!;
    }
    this.interfaces = { access };
    this.window = opts.window ?? 256;
    this.rate = opts.rate ?? 0;
    this.summary = { homes: selected.length, started: 0, inSetup: 0, online: 0, failed: 0, ended: 0, redials: 0, gaveUp: 0 };

    const open = opts.open ?? openAfPacket;
    const tap = opts.onFrame;
    const port = open(access, tap ? (f) => (tap('access', f, 'in', clock.now()), this.driver.receive('access', f)) : (f) => this.driver.receive('access', f), () => this.driver.kick());
    this.port = tap
      ? {
          mac: port.mac,
          send: (f) => (tap('access', f, 'out', clock.now()), port.send(f)),
          close: () => port.close(),
          // The attachment's own counters and kernel statistics, read through (an AfPacket keeps them on itself).
          get counters() {
            return port.counters;
          },
          ...(port.kernelStats ? { kernelStats: () => port.kernelStats!() } : {}),
        }
      : port;
    this.ports.set('access', this.port);
    const pppoe = pppoeClientConfig({});
    const echo = opts.echoIntervalMs ?? 30_000;
    selected.forEach((h, k) => {
      const index = first + k;
      const home = assembleHome(t, h, homeMac(index), { homeEchoIntervalMs: echo, homeCounters: this.counters, pppoe });
      const m: Member = { home, name: h.name, index, phase: 'idle', inflight: 0, lastSent: 0, floodSeq: 0 };
      this.members.push(m);
      this.byIndex.set(index, m);
    });
    // The emulator is one box on one port: frames in go to the home their MAC names; out, every home's.
    this.driver = new Driver<'access', never>(clock, {
      name: HOMES_BOX,
      kind: 'homes',
      ports: ['access'],
      handleFrame: (_p, f) => this.frame(f),
      handleTimeout: (n) => this.handleTimeout(n),
      nextTimeout: () => this.nextTimeout(),
      pollTransmit: () => this.out.shift() ?? (this.drain(), this.out.shift()),
      pollEvent: () => undefined,
      show: () => undefined,
    });
    this.driver.attach('access', this.port);
    if (opts.autoStart ?? true) this.dial();
    this.driver.kick();
  }

  /** Starts dialling every home that has not dialled yet (paced by window and rate). */
  dial(): void {
    this.dialling = true;
    this.startMore(this.clock.now());
    this.driver.kick();
  }

  private frame(f: Uint8Array): void {
    if (f.length < ETHERNET_HEADER_LENGTH) {
      this.rx.short++;
      return;
    }
    if (f[0]! & 1) {
      this.rx.group++; // nothing on an access link is broadcast to homes (PADO, PADS, PADT are unicast)
      return;
    }
    const m = f[0] === 0x02 && f[1] === HOME_MAC_ROLE ? this.byIndex.get(u32(f, 2)) : undefined;
    if (!m) {
      this.rx.noSuchHome++;
      return;
    }
    this.rx.toHome++;
    m.home.handleFrame('access', f, this.clock.now());
    this.dirty.add(m);
  }

  private handleTimeout(now: number): void {
    for (const m of this.timers.due(now)) {
      m.home.handleTimeout(now);
      this.dirty.add(m);
    }
    this.startMore(now);
  }

  private nextTimeout(): number | undefined {
    const t = this.timers.peek();
    const s = this.nextStartAt();
    return t === undefined ? s : s === undefined ? t : Math.min(t, s);
  }

  /** When the rate allows the next start (only while starts are held back by the rate). */
  private nextStartAt(): number | undefined {
    if (!this.dialling || this.rate <= 0 || this.next >= this.members.length || this.firstStartAt === undefined) return undefined;
    if (this.window > 0 && this.summary.inSetup >= this.window) return undefined;
    return this.firstStartAt + (this.summary.started * 1000) / this.rate;
  }

  private startMore(now: number): void {
    if (!this.dialling) return;
    while (this.next < this.members.length) {
      if (this.window > 0 && this.summary.inSetup >= this.window) return;
      if (this.rate > 0 && this.firstStartAt !== undefined && this.summary.started >= Math.floor(((now - this.firstStartAt) * this.rate) / 1000) + 1) return;
      const m = this.members[this.next++]!;
      this.firstStartAt ??= now;
      m.phase = 'setup';
      this.summary.started++;
      this.summary.inSetup++;
      m.home.start(now);
      this.dirty.add(m);
    }
  }

  private drain(): void {
    const now = this.clock.now();
    while (this.dirty.size) {
      const list = [...this.dirty];
      this.dirty.clear();
      for (const m of list) {
        const h = m.home;
        for (let x = h.pollTransmit(); x; x = h.pollTransmit()) this.out.push(x);
        for (let e = h.pollEvent(); e; e = h.pollEvent()) this.homeEvent(m, e, now);
        this.timers.schedule(m, h.nextTimeout());
      }
      // Homes that settled make room in the window.
      this.startMore(now);
    }
    if (!this.settledReported && this.next >= this.members.length && this.summary.inSetup === 0 && this.summary.started === this.members.length) {
      this.settledReported = true;
      const s = this.setup();
      this.emit(HOMES_BOX, 'homes', { type: 'setup-done', ...s });
    }
  }

  private homeEvent(m: Member, e: HomeEvent, now: number): void {
    const s = this.summary;
    switch (e.type) {
      case 'pppoe-up':
        if (this.held.has(m.name)) this.clock.setTimer(now, () => this.act(m, (n) => m.home.padt(n, 'held down')));
        break;
      case 'online':
        if (m.phase === 'setup') s.inSetup--;
        if (m.phase !== 'online') s.online++;
        m.phase = 'online';
        this.lastOnlineAt = now;
        break;
      case 'redial':
        if (m.phase === 'online') s.online--;
        if (m.phase !== 'setup') s.inSetup++;
        m.phase = 'setup';
        s.redials++;
        break;
      case 'redial-given-up':
        s.gaveUp++;
        break;
      case 'discovery-failed':
      case 'auth-failed':
        if (m.phase === 'setup') {
          s.inSetup--;
          s.failed++;
          m.phase = 'down';
        }
        break;
      case 'offline':
        if (m.phase === 'setup') {
          s.inSetup--;
          s.failed++;
        } else if (m.phase === 'online') {
          s.online--;
          s.ended++;
        }
        m.phase = 'down';
        m.inflight = 0;
        break;
      case 'ip':
        if (e.event.kind === 'echo-reply') {
          if (e.event.sequence & FLOOD_SEQ) return this.floodReply(m, e.event.rtt, now);
          this.pings.get(m.index * 0x10000 + e.event.sequence)?.(e.event.rtt);
        }
        break;
      case 'ip6':
        if (e.event.kind === 'echo-reply') this.pings6.get(m.index * 0x10000 + e.event.sequence)?.(e.event.rtt);
        break;
      default:
        break;
    }
    this.emit(m.name, 'home', e);
  }

  private emit(box: string, kind: string, event: unknown): void {
    const e: BoxEvent = { box, at: this.clock.now(), kind, event };
    this.events.push(e);
    if (this.events.length > 2000) this.events.splice(0, this.events.length - 1000);
    this.opts.onEvent?.(e);
  }

  /** Counts and, once every home has settled, the setup time and rate. */
  setup(): SetupSummary {
    const s = { ...this.summary };
    if (this.settledReported || (this.next >= this.members.length && s.inSetup === 0)) {
      if (this.firstStartAt !== undefined && this.lastOnlineAt !== undefined) {
        s.setupMs = Math.round((this.lastOnlineAt - this.firstStartAt) * 10) / 10;
        s.setupsPerSecond = Math.round((s.online + s.ended) / Math.max(1e-3, (this.lastOnlineAt - this.firstStartAt) / 1000));
      }
    }
    return s;
  }

  private member(name?: string): Member | undefined {
    if (name === undefined) return this.members.find((m) => m.phase === 'online');
    return this.members.find((m) => m.name === name);
  }

  /** ICMP echo from home `from` (default: the first online one); the RTT in ms or undefined. */
  ping(dst: number | Uint8Array, timeoutMs = 1000, size = 56, from?: string): Promise<number | undefined> {
    const m = this.member(from);
    // IPv6 from the emulated homes comes with their IPv6 stack (issue 17, the home's part).
    if (typeof dst !== 'number') return Promise.resolve(undefined);
    if (from !== undefined && !m) return Promise.reject(new Error(`no home named "${from}" in this emulator`));
    const seq = (this.pingSeq = (this.pingSeq % 0x7fff) + 1);
    return new Promise((resolve) => {
      if (!m || !m.home.isOnline) return resolve(undefined);
      const key = m.index * 0x10000 + seq;
      const timer = setTimeout(() => done(undefined), timeoutMs);
      const done = (rtt: number | undefined): void => {
        clearTimeout(timer);
        this.pings.delete(key);
        resolve(rtt);
      };
      this.pings.set(key, done);
      this.act(m, (n) => m.home.ping(dst, seq, n, size));
    });
  }

  /** ICMPv6 echo from home `from` (default: the first one with IPv6 up) to `dst`; the RTT in ms or undefined. Like `ping`. */
  ping6(dst: Uint8Array, timeoutMs = 1000, size = 56, from?: string): Promise<number | undefined> {
    const m = from === undefined ? this.members.find((x) => x.home.ipv6?.isUp) : this.members.find((x) => x.name === from);
    if (from !== undefined && !m) return Promise.reject(new Error(`no home named "${from}" in this emulator`));
    const seq = (this.pingSeq = (this.pingSeq % 0x7fff) + 1);
    return new Promise((resolve) => {
      if (!m || !m.home.ipv6?.isUp) return resolve(undefined);
      const key = m.index * 0x10000 + seq;
      const timer = setTimeout(() => done(undefined), timeoutMs);
      const done = (rtt: number | undefined): void => {
        clearTimeout(timer);
        this.pings6.delete(key);
        resolve(rtt);
      };
      this.pings6.set(key, done);
      this.act(m, (n) => m.home.ping6(dst, seq, n, size));
    });
  }

  /**
   * Closed-loop ping load from every online home: each keeps `window` echo requests in
   * flight for `seconds` (a reply sends the next; a request unanswered after 1 s is
   * counted lost and replaced). Echo replies are not logged as events.
   */
  runFlood(dst: number, seconds: number, window = 1, size = 56): Promise<FloodResult> {
    if (this.flood) return Promise.reject(new Error('a flood is already running'));
    const f = (this.flood = { dst, size, window, sent: 0, replies: 0, lost: 0, rttSum: 0, rttMin: Infinity, rttMax: 0 });
    const online = this.members.filter((m) => m.phase === 'online');
    const t0 = this.clock.now();
    for (const m of online) {
      m.inflight = 0;
      this.topUp(m, t0);
    }
    this.driver.kick();
    return new Promise((resolve) => {
      let tick: TimerId;
      const refill = (): void => {
        const now = this.clock.now();
        if (now - t0 >= seconds * 1000) {
          this.flood = undefined;
          const dt = (now - t0) / 1000;
          resolve({ homes: online.length, seconds: dt, sent: f.sent, replies: f.replies, lost: f.lost, repliesPerSecond: Math.round(f.replies / dt), rtt: { min: f.replies ? round(f.rttMin) : 0, mean: f.replies ? round(f.rttSum / f.replies) : 0, max: round(f.rttMax) } });
          return;
        }
        for (const m of online) {
          if (m.inflight > 0 && now - m.lastSent > 1000) {
            f.lost += m.inflight;
            m.inflight = 0;
          }
          this.topUp(m, now);
        }
        this.driver.kick();
        tick = this.clock.setTimer(now + 100, refill);
      };
      tick = this.clock.setTimer(t0 + 100, refill);
      void tick;
    });
  }

  private topUp(m: Member, now: number): void {
    const f = this.flood;
    if (!f || !m.home.isOnline) return;
    while (m.inflight < f.window) {
      m.floodSeq = (m.floodSeq + 1) & 0x7fff;
      m.home.ping(f.dst, FLOOD_SEQ | m.floodSeq, now, f.size);
      m.inflight++;
      m.lastSent = now;
      f.sent++;
      this.dirty.add(m);
    }
  }

  private floodReply(m: Member, rtt: number, now: number): void {
    const f = this.flood;
    if (!f) return;
    f.replies++;
    f.rttSum += rtt;
    if (rtt < f.rttMin) f.rttMin = rtt;
    if (rtt > f.rttMax) f.rttMax = rtt;
    if (m.inflight > 0) m.inflight--;
    this.topUp(m, now);
  }

  /** Home `name` hangs up (LCP Terminate-Request, then PADT) and stays down until `homeUp`. */
  homeDown(name: string): void {
    const m = this.members.find((x) => x.name === name);
    if (!m) throw new Error(`no home named "${name}" in this emulator`);
    this.held.add(name);
    if (m.home.pppoeState === 'session') this.act(m, (n) => (m.home.isOnline ? m.home.disconnect(n) : m.home.padt(n, 'held down')));
  }

  /** A held-down home dials again. */
  homeUp(name: string): void {
    const m = this.members.find((x) => x.name === name);
    if (!m) throw new Error(`no home named "${name}" in this emulator`);
    this.held.delete(name);
    const st = m.home.pppoeState;
    if (st === 'session' || st === 'padi-sent' || st === 'padr-sent') return;
    // A home not dialled yet dials in its turn (the window and rate pace it).
    if (m.phase === 'idle') return;
    if (m.phase !== 'setup') this.summary.inSetup++;
    m.phase = 'setup';
    this.act(m, (n) => m.home.start(n));
  }

  /** Runs `f` on one home, then moves its output. */
  private act(m: Member, f: (now: number) => void): void {
    f(this.clock.now());
    this.dirty.add(m);
    this.driver.kick();
  }

  show(what: string): unknown {
    const ports = Object.fromEntries([...this.ports].map(([p, x]) => [p, { interface: this.interfaces[p], mac: macToString(x.mac), ...(x.counters ? { counters: x.counters } : {}), ...(x.kernelStats ? { kernel: x.kernelStats() } : {}) }]));
    switch (what) {
      case 'box':
        return { name: this.name, kind: this.kind, interfaces: this.interfaces, ports, homes: this.members.length, first: this.members[0]?.name, last: this.members.at(-1)?.name };
      case 'interfaces':
        return { ports };
      case 'sessions':
        return {
          setup: this.setup(),
          homes: this.members.map((m) => ({
            name: m.name,
            user: m.home.cfg.user,
            mac: macToString(m.home.mac),
            phase: m.phase,
            state: m.home.pppoeState,
            sessionId: m.home.sessionId,
            ...(m.home.isOnline ? { address: ipv4ToString(m.home.address) } : {}),
            ...(m.home.ipv6?.isUp ? { ipv6: m.home.ipv6.showSession() } : {}),
          })),
        };
      case 'counters':
        return { ports, setup: this.setup(), rx: this.rx, homes: this.counters };
      case 'events':
        return this.events.slice(-200);
      case 'tunnels':
      case 'routes':
      case 'arp':
        return [];
      default:
        throw new Error(`unknown "${what}" (sessions, counters, interfaces, events, box)`);
    }
  }

  /** Every online home sends LCP Terminate-Request (then PADT); the rest PADT at the deadline. */
  async shutdown(timeoutMs = 5000): Promise<{ clean: boolean }> {
    this.dialling = false;
    this.flood = undefined;
    const deadline = this.clock.now() + timeoutMs;
    const live = this.members.filter((m) => m.home.pppoeState === 'session');
    const now = this.clock.now();
    for (const m of live) {
      m.home.disconnect(now);
      this.dirty.add(m);
    }
    // The rest stop too: a home waiting to redial, or in discovery, must not dial during shutdown.
    for (const m of this.members) if (m.home.pppoeState !== 'session') m.home.padt(now);
    this.driver.kick();
    let clean = true;
    while (live.some((m) => m.home.pppoeState === 'session')) {
      if (this.clock.now() >= deadline) {
        clean = false;
        const n = this.clock.now();
        for (const m of live) if (m.home.pppoeState === 'session') {
          m.home.padt(n, 'shutting down');
          this.dirty.add(m);
        }
        this.driver.kick();
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setImmediate(r));
    this.close();
    return { clean };
  }

  close(): void {
    this.driver.stop();
    this.port.close();
    if (this.clock instanceof WallClock) this.clock.cancelAll();
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
