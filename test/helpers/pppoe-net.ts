/**
 * Runs our PPPoE AC (terminating PPP itself: LCP + CHAP + IPCP, like pppoe-server + pppd)
 * and our PPPoE clients (discovery + LCP + CHAP peer + IPCP) on the virtual clock, over
 * the lead's `Segment` or over `StarFabric` (upstream to the AC only, downstream by
 * destination MAC, like a PON), which scales to 100,000 clients. Ethernet headers are
 * written and read with fixed offsets: this is glue, not a role.
 */
import type { Clock, TimerId } from '../../src/roles/box.js';
import { mulberry32, type Impairments } from '../../src/sim/link.js';
import { u16, setU16 } from '../../src/wire/bytes.js';
import { pppoeDiscovery, writeSessionHeader } from '../../src/wire/pppoe.js';
import { encodePppMessage, type PppMessage } from '../../src/proto/ppp-common.js';
import { PppoeAc, macKey, macFromKey, type AcSession, type PppoeAcConfig } from '../../src/proto/pppoe-ac.js';
import { PppoeClient, type PppoeClientConfig } from '../../src/proto/pppoe-client.js';
import { PppLink, type PppLinkConfig, type PppLinkEvent } from '../../src/proto/ppp-link.js';
import type { PppoeDiscovery } from '../../src/wire/pppoe.js';

export interface Medium {
  attach(name: string, onFrame: (frame: Uint8Array, from: string) => void, opts?: { isolated?: boolean }): { send(frame: Uint8Array): void };
}

const ETH = 14;
const PPPOE = 6;

function writeMac(b: Uint8Array, o: number, key: number): void {
  const hi = Math.floor(key / 0x100000000);
  const lo = key >>> 0;
  b[o] = hi >>> 8;
  b[o + 1] = hi & 0xff;
  b[o + 2] = lo >>> 24;
  b[o + 3] = (lo >>> 16) & 0xff;
  b[o + 4] = (lo >>> 8) & 0xff;
  b[o + 5] = lo & 0xff;
}

function discoveryFrame(dst: Uint8Array, src: number, p: PppoeDiscovery): Uint8Array {
  const f = new Uint8Array(ETH + pppoeDiscovery.encodedLength(p));
  f.set(dst, 0);
  writeMac(f, 6, src);
  setU16(f, 12, 0x8863);
  pppoeDiscovery.emit(p, f, ETH);
  return f;
}

function sessionFrame(dst: number, src: number, sessionId: number, m: PppMessage): Uint8Array {
  const f = encodePppMessage(m, ETH + PPPOE);
  writeMac(f, 0, dst);
  writeMac(f, 6, src);
  setU16(f, 12, 0x8864);
  writeSessionHeader(f, ETH, sessionId, f.length - ETH - PPPOE);
  return f;
}

/**
 * The PPP protocol of a PPPoE session frame after the checks `PppoeSessionView.check` makes
 * (VER/TYPE, CODE 0, LENGTH within the frame), or -1. Our peers never compress the protocol
 * field (LCP rejects PFC), so it is two octets.
 */
function sessionPpp(f: Uint8Array): number {
  if (f.length < ETH + PPPOE + 2 || f[ETH] !== 0x11 || f[ETH + 1] !== 0) return -1;
  const len = u16(f, ETH + 4);
  if (len < 2 || ETH + PPPOE + len > f.length) return -1;
  const p = u16(f, ETH + PPPOE);
  return p & 1 ? p : -1;
}

function isBroadcast(f: Uint8Array): boolean {
  return (f[0]! & 1) === 1;
}

/** A machine's single armed clock timer: re-armed when the machine wants an earlier one; a late fire is harmless. */
interface Armed {
  armedAt: number;
  timer: TimerId | undefined;
  /** Made once per machine, so arming a timer allocates no closure. */
  readonly fire: () => void;
}

function rearm(clock: Clock, a: Armed, next: number | undefined): void {
  if (next === undefined || next >= a.armedAt) return;
  if (a.armedAt !== Infinity && a.timer !== undefined) clock.cancel(a.timer);
  a.armedAt = next;
  a.timer = clock.setTimer(next, a.fire);
}

export class AcPppSession implements Armed {
  armedAt = Infinity;
  timer: TimerId | undefined;
  readonly fire: () => void;
  constructor(
    readonly host: AcHost,
    readonly session: AcSession,
    readonly link: PppLink,
  ) {
    // bind, not an arrow field: the TS loader wraps every arrow field in a naming helper, per instance.
    this.fire = this.onTimer.bind(this);
  }

  private onTimer(): void {
    this.armedAt = Infinity;
    const t = this.host.clock.now();
    this.link.handleTimeout(t);
    this.host.flushLink(this, t);
  }
}

/** Our AC with PPP terminated locally, one PppLink per session. */
export class AcHost {
  readonly ac: PppoeAc;
  private readonly port: { send(frame: Uint8Array): void };
  private readonly macKey: number;
  /** Sessions whose IPCP is up. */
  established = 0;
  /** Every link event, when `record` is set (tests). */
  readonly log: { session: number; event: PppLinkEvent }[] = [];
  record = false;
  nextAddress: number;

  constructor(
    readonly clock: Clock,
    medium: Medium,
    readonly mac: Uint8Array,
    acCfg: PppoeAcConfig,
    readonly linkCfg: PppLinkConfig,
    firstAddress: number,
  ) {
    this.ac = new PppoeAc(acCfg);
    this.macKey = macKey(mac);
    this.nextAddress = firstAddress;
    this.port = medium.attach('ac', (f) => this.receive(f));
  }

  receive(f: Uint8Array): void {
    if (macKey(f, 0) !== this.macKey && !isBroadcast(f)) return;
    const now = this.clock.now();
    const type = u16(f, 12);
    if (type === 0x8863) {
      this.ac.handleFrame(f.subarray(6, 12), f.subarray(ETH), now);
      this.flushAc(now);
    } else if (type === 0x8864) {
      const ppp = sessionPpp(f);
      if (ppp < 0) return;
      const s = this.ac.sessionFor(f, u16(f, ETH + 2), 6);
      if (!s) return;
      const ps = s.user as AcPppSession;
      ps.link.handleFrame(ppp, f.subarray(ETH + PPPOE + 2, ETH + PPPOE + u16(f, ETH + 4)), now);
      this.flushLink(ps, now);
    }
  }

  private flushAc(now: number): void {
    for (let t = this.ac.pollTransmit(); t; t = this.ac.pollTransmit()) this.port.send(discoveryFrame(t.dst, this.macKey, t.packet));
    for (let e = this.ac.pollEvent(); e; e = this.ac.pollEvent()) {
      if (e.type === 'session-up') {
        const link = new PppLink(this.linkCfg);
        if (link.ipcp) link.ipcp.setPeerAddress(this.nextAddress++);
        const ps = new AcPppSession(this, e.session, link);
        e.session.user = ps;
        link.start(now);
        this.flushLink(ps, now);
      } else {
        const ps = e.session.user as AcPppSession;
        ps.link.lowerDown(now, 'padt');
        this.flushLink(ps, now);
      }
    }
  }

  flushLink(ps: AcPppSession, now: number): void {
    const link = ps.link;
    const s = ps.session;
    for (let m = link.pollTransmit(); m; m = link.pollTransmit()) this.port.send(sessionFrame(s.macKey, this.macKey, s.id, m));
    for (let e = link.pollEvent(); e; e = link.pollEvent()) {
      if (this.record) this.log.push({ session: s.id, event: e });
      if (e.type === 'ipcp-up') this.established++;
      else if (e.type === 'ipcp-down') this.established--;
      else if (e.type === 'finished' && this.ac.session(s.id) === s) {
        this.ac.terminate(s);
        this.flushAc(now);
      }
    }
    rearm(this.clock, ps, link.nextTimeout());
  }
}

/** A home: PPPoE client discovery, then a PppLink on the session. */
export class ClientHost implements Armed {
  armedAt = Infinity;
  timer: TimerId | undefined;
  readonly fire: () => void;
  readonly client: PppoeClient;
  link: PppLink | undefined;
  private readonly port: { send(frame: Uint8Array): void };
  /** Our MAC as a 48-bit number. */
  readonly macKey: number;
  /** Virtual time when IPCP came up, or undefined. */
  upAt: number | undefined;
  localAddress = 0;
  readonly log: PppLinkEvent[] | undefined;
  /** Reconnect this long after the session ends or discovery fails (pppd's persist + holdoff); undefined: stay down. */
  persistMs: number | undefined;
  /** Sessions that came up (more than one after a reconnect). */
  ups = 0;

  constructor(
    private readonly clock: Clock,
    medium: Medium | StarFabric,
    mac: Uint8Array,
    clientCfg: PppoeClientConfig,
    readonly linkCfg: PppLinkConfig,
    record = false,
    name = 'home',
  ) {
    this.fire = this.onTimer.bind(this);
    this.client = new PppoeClient(clientCfg, linkCfg.counters);
    this.macKey = macKey(mac);
    // On a star fabric the host itself is the receiver (no closure per home); elsewhere a closure.
    // A home is a subscriber port: it reaches the AC, never the other homes (split horizon).
    this.port = medium instanceof StarFabric ? medium.attachReceiver(this.macKey, this) : medium.attach(name, (f) => this.receive(f), { isolated: true });
    if (record) this.log = [];
  }

  get mac(): Uint8Array {
    return macFromKey(this.macKey);
  }

  private onTimer(): void {
    this.armedAt = Infinity;
    const t = this.clock.now();
    this.client.handleTimeout(t);
    this.link?.handleTimeout(t);
    this.flush(t);
  }

  start(): void {
    this.client.start(this.clock.now());
    this.flush(this.clock.now());
  }

  receive(f: Uint8Array): void {
    if (macKey(f, 0) !== this.macKey) return;
    const now = this.clock.now();
    const type = u16(f, 12);
    if (type === 0x8863) this.client.handleFrame(f.subarray(6, 12), f.subarray(ETH), now);
    else if (type === 0x8864 && this.link) {
      const ppp = sessionPpp(f);
      if (ppp < 0 || u16(f, ETH + 2) !== this.client.sessionId) return;
      this.link.handleFrame(ppp, f.subarray(ETH + PPPOE + 2, ETH + PPPOE + u16(f, ETH + 4)), now);
    }
    this.flush(now);
  }

  private reconnectLater(now: number): void {
    if (this.persistMs === undefined) return;
    this.clock.setTimer(now + this.persistMs, () => {
      this.link = undefined;
      this.start();
    });
  }

  /** Administrative close of the PPP link (Terminate-Request), sent now. */
  close(reason: string): void {
    this.link?.close(this.clock.now(), reason);
    this.flush(this.clock.now());
  }

  private flush(now: number): void {
    const c = this.client;
    for (let t = c.pollTransmit(); t; t = c.pollTransmit()) this.port.send(discoveryFrame(t.dst, this.macKey, t.packet));
    for (let e = c.pollEvent(); e; e = c.pollEvent()) {
      if (e.type === 'session-up') {
        this.link = new PppLink(this.linkCfg);
        this.link.start(now);
      } else if (e.type === 'session-down' && this.link) {
        this.link.lowerDown(now, 'padt');
      } else if (e.type === 'failed') this.reconnectLater(now);
    }
    const link = this.link;
    if (link) {
      for (let m = link.pollTransmit(); m; m = link.pollTransmit()) this.port.send(sessionFrame(c.acKey, this.macKey, c.sessionId, m));
      for (let e = link.pollEvent(); e; e = link.pollEvent()) {
        this.log?.push(e);
        if (e.type === 'ipcp-up') {
          this.upAt = now;
          this.ups++;
          this.localAddress = e.negotiated.localAddress;
        } else if (e.type === 'ipcp-down') {
          this.upAt = undefined;
        } else if (e.type === 'finished') {
          c.terminate();
          for (let t = c.pollTransmit(); t; t = c.pollTransmit()) this.port.send(discoveryFrame(t.dst, this.macKey, t.packet));
          this.upAt = undefined;
          this.reconnectLater(now);
        }
      }
    }
    let next = c.nextTimeout();
    const ln = link?.nextTimeout();
    if (ln !== undefined && (next === undefined || ln < next)) next = ln;
    rearm(this.clock, this, next);
  }
}

/**
 * A star: every frame from a client goes to the hub (the AC) only; frames from the hub go to
 * the client whose MAC is the destination (broadcast from the hub goes to every client), like
 * a PON. Seeded loss; a fixed delay keeps frames in order, so they wait in one FIFO under a
 * single clock timer; with jitter each frame has its own timer and may overtake others.
 */
export class StarFabric implements Medium {
  private hub: ((f: Uint8Array, from: string) => void) | undefined;
  /** Clients by the low 30 bits of their MAC (a small integer key hashes fast); the full key is checked on delivery. */
  private readonly clients = new Map<number, { readonly macKey: number; receive(f: Uint8Array): void }>();
  private readonly random: () => number;
  readonly counters = { sent: 0, delivered: 0, lost: 0 };
  private qAt: number[] = [];
  private qFrame: Uint8Array[] = [];
  private qUp: boolean[] = [];
  private qHead = 0;
  private armed = false;
  /** The port every client sends through (the path up is the same for all). */
  private readonly up: { send(frame: Uint8Array): void };
  private readonly drain: () => void;

  constructor(
    private readonly clock: Clock,
    private readonly imp: Impairments = {},
    private readonly hubName = 'ac',
  ) {
    this.random = mulberry32(imp.seed ?? 1);
    this.up = { send: (f: Uint8Array): void => this.transmit(f, false) };
    this.drain = this.deliverDue.bind(this);
  }

  /** A client, keyed by its MAC (a 48-bit number); it gets frames addressed to it. */
  attachReceiver(mac: number, r: { readonly macKey: number; receive(f: Uint8Array): void }): { send(frame: Uint8Array): void } {
    if (this.clients.has(mac % 0x40000000)) throw new Error('StarFabric: two clients share the low 30 bits of their MAC');
    this.clients.set(mac % 0x40000000, r);
    return this.up;
  }

  attach(name: string, onFrame: (frame: Uint8Array, from: string) => void): { send(frame: Uint8Array): void } {
    if (name !== this.hubName) throw new Error('StarFabric: clients attach with attachReceiver');
    this.hub = onFrame;
    return { send: (f) => this.transmit(f, true) };
  }

  private transmit(f: Uint8Array, fromHub: boolean): void {
    this.counters.sent++;
    const imp = this.imp;
    if (imp.loss && this.random() < imp.loss) {
      this.counters.lost++;
      return;
    }
    const now = this.clock.now();
    if (imp.jitter) {
      this.clock.setTimer(now + (imp.delay ?? 0) + this.random() * imp.jitter, () => this.deliver(f, fromHub));
      return;
    }
    this.qAt.push(now + (imp.delay ?? 0));
    this.qFrame.push(f);
    this.qUp.push(!fromHub);
    if (!this.armed) {
      this.armed = true;
      this.clock.setTimer(this.qAt[this.qHead]!, this.drain);
    }
  }

  private deliverDue(): void {
    this.armed = false;
    const now = this.clock.now();
    while (this.qHead < this.qAt.length && this.qAt[this.qHead]! <= now) {
      const h = this.qHead++;
      const f = this.qFrame[h]!;
      const up = this.qUp[h]!;
      this.qFrame[h] = EMPTY;
      this.deliver(f, !up);
    }
    if (this.qHead > 4096 && this.qHead * 2 > this.qAt.length) {
      this.qAt = this.qAt.slice(this.qHead);
      this.qFrame = this.qFrame.slice(this.qHead);
      this.qUp = this.qUp.slice(this.qHead);
      this.qHead = 0;
    }
    if (this.qHead < this.qAt.length && !this.armed) {
      this.armed = true;
      this.clock.setTimer(this.qAt[this.qHead]!, this.drain);
    }
  }

  private deliver(f: Uint8Array, fromHub: boolean): void {
    this.counters.delivered++;
    if (!fromHub) this.hub?.(f, 'client');
    else if (isBroadcast(f)) for (const c of this.clients.values()) c.receive(f);
    else this.clients.get(((f[2]! & 0x3f) << 24) | (f[3]! << 16) | (f[4]! << 8) | f[5]!)?.receive(f);
  }
}

const EMPTY = new Uint8Array(0);

/** Client MAC number i (locally administered 02:xx...). */
export function clientMac(i: number): Uint8Array {
  return new Uint8Array([0x02, 0x00, (i >>> 24) & 0xff, (i >>> 16) & 0xff, (i >>> 8) & 0xff, i & 0xff]);
}
