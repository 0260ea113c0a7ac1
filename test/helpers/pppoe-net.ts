/**
 * Runs our PPPoE AC (terminating PPP itself: LCP + CHAP + IPCP, like pppoe-server + pppd)
 * and our PPPoE clients (discovery + LCP + CHAP peer + IPCP) on the virtual clock, over
 * the lead's `Segment` or over `StarFabric` (upstream to the AC only, downstream by
 * destination MAC, like a PON), which scales to 100,000 clients. Ethernet headers are
 * written and read with fixed offsets: this is glue, not a role.
 */
import type { Clock, TimerId } from '../../src/sim/clock.js';
import { mulberry32, type Impairments } from '../../src/io/link.js';
import { u16, setU16 } from '../../src/wire/bytes.js';
import { pppoeDiscovery, writeSessionHeader, PppoeSessionView } from '../../src/wire/pppoe.js';
import { pppFrame } from '../../src/wire/ppp.js';
import { encodePppMessage, type PppMessage } from '../../src/proto/ppp-common.js';
import { PppoeAc, macKey, type AcSession, type PppoeAcConfig } from '../../src/proto/pppoe-ac.js';
import { PppoeClient, type PppoeClientConfig } from '../../src/proto/pppoe-client.js';
import { PppLink, type PppLinkConfig, type PppLinkEvent } from '../../src/proto/ppp-link.js';
import type { PppoeDiscovery } from '../../src/wire/pppoe.js';

export interface Medium {
  attach(name: string, onFrame: (frame: Uint8Array, from: string) => void): { send(frame: Uint8Array): void };
}

const ETH = 14;
const PPPOE = 6;

function discoveryFrame(dst: Uint8Array, src: Uint8Array, p: PppoeDiscovery): Uint8Array {
  const f = new Uint8Array(ETH + pppoeDiscovery.encodedLength(p));
  f.set(dst, 0);
  f.set(src, 6);
  setU16(f, 12, 0x8863);
  pppoeDiscovery.emit(p, f, ETH);
  return f;
}

function sessionFrame(dst: Uint8Array, src: Uint8Array, sessionId: number, m: PppMessage): Uint8Array {
  const f = encodePppMessage(m, ETH + PPPOE);
  f.set(dst, 0);
  f.set(src, 6);
  setU16(f, 12, 0x8864);
  writeSessionHeader(f, ETH, sessionId, f.length - ETH - PPPOE);
  return f;
}

function isFor(f: Uint8Array, mac: Uint8Array): boolean {
  return f[0] === mac[0] && f[1] === mac[1] && f[2] === mac[2] && f[3] === mac[3] && f[4] === mac[4] && f[5] === mac[5];
}

function isBroadcast(f: Uint8Array): boolean {
  return (f[0]! & 1) === 1;
}

/** A machine's single armed clock timer: re-armed when the machine wants an earlier one; a late fire is harmless. */
interface Armed {
  armedAt: number;
  timer: TimerId;
}

function rearm(clock: Clock, a: Armed, next: number | undefined, fire: () => void): void {
  if (next === undefined || next >= a.armedAt) return;
  if (a.armedAt !== Infinity) clock.cancel(a.timer);
  a.armedAt = next;
  a.timer = clock.setTimer(next, () => {
    a.armedAt = Infinity;
    fire();
  });
}

export class AcPppSession implements Armed {
  armedAt = Infinity;
  timer = 0;
  constructor(
    readonly session: AcSession,
    readonly link: PppLink,
  ) {}
}

/** Our AC with PPP terminated locally, one PppLink per session. */
export class AcHost {
  readonly ac: PppoeAc;
  private readonly port: { send(frame: Uint8Array): void };
  /** Sessions whose IPCP is up. */
  established = 0;
  /** Every link event, when `record` is set (tests). */
  readonly log: { session: number; event: PppLinkEvent }[] = [];
  record = false;
  nextAddress: number;

  constructor(
    private readonly clock: Clock,
    medium: Medium,
    readonly mac: Uint8Array,
    acCfg: PppoeAcConfig,
    readonly linkCfg: PppLinkConfig,
    firstAddress: number,
  ) {
    this.ac = new PppoeAc(acCfg);
    this.nextAddress = firstAddress;
    this.port = medium.attach('ac', (f) => this.onFrame(f));
  }

  private onFrame(f: Uint8Array): void {
    if (!isFor(f, this.mac) && !isBroadcast(f)) return;
    const now = this.clock.now();
    const type = u16(f, 12);
    const src = f.subarray(6, 12);
    if (type === 0x8863) {
      this.ac.handleFrame(src, f.subarray(ETH), now);
      this.flushAc(now);
    } else if (type === 0x8864) {
      const v = PppoeSessionView.check(f, ETH);
      if (!(v instanceof PppoeSessionView)) return;
      const s = this.ac.sessionFor(src, v.sessionId);
      if (!s) return;
      const ps = s.user as AcPppSession;
      const fr = pppFrame.parse(v.payload);
      if (!fr.ok) return;
      ps.link.handleFrame(fr.value.protocol, fr.value.payload, now);
      this.flushLink(ps, now);
    }
  }

  private flushAc(now: number): void {
    for (let t = this.ac.pollTransmit(); t; t = this.ac.pollTransmit()) this.port.send(discoveryFrame(t.dst, this.mac, t.packet));
    for (let e = this.ac.pollEvent(); e; e = this.ac.pollEvent()) {
      if (e.type === 'session-up') {
        const link = new PppLink(this.linkCfg);
        if (link.ipcp) link.ipcp.setPeerAddress(this.nextAddress++);
        const ps = new AcPppSession(e.session, link);
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

  private flushLink(ps: AcPppSession, now: number): void {
    const link = ps.link;
    const s = ps.session;
    for (let m = link.pollTransmit(); m; m = link.pollTransmit()) this.port.send(sessionFrame(s.mac, this.mac, s.id, m));
    for (let e = link.pollEvent(); e; e = link.pollEvent()) {
      if (this.record) this.log.push({ session: s.id, event: e });
      if (e.type === 'ipcp-up') this.established++;
      else if (e.type === 'ipcp-down') this.established--;
      else if (e.type === 'finished' && this.ac.session(s.id) === s) {
        this.ac.terminate(s);
        this.flushAc(now);
      }
    }
    rearm(this.clock, ps, link.nextTimeout(), () => {
      const t = this.clock.now();
      link.handleTimeout(t);
      this.flushLink(ps, t);
    });
  }
}

/** A home: PPPoE client discovery, then a PppLink on the session. */
export class ClientHost implements Armed {
  armedAt = Infinity;
  timer = 0;
  readonly client: PppoeClient;
  link: PppLink | undefined;
  private readonly port: { send(frame: Uint8Array): void };
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
    medium: Medium,
    readonly mac: Uint8Array,
    clientCfg: PppoeClientConfig,
    readonly linkCfg: PppLinkConfig,
    record = false,
    name = 'home',
  ) {
    this.client = new PppoeClient(clientCfg, linkCfg.counters);
    this.port = medium.attach(name, (f) => this.onFrame(f));
    if (record) this.log = [];
  }

  start(): void {
    this.client.start(this.clock.now());
    this.flush(this.clock.now());
  }

  private onFrame(f: Uint8Array): void {
    if (!isFor(f, this.mac)) return;
    const now = this.clock.now();
    const type = u16(f, 12);
    if (type === 0x8863) this.client.handleFrame(f.subarray(6, 12), f.subarray(ETH), now);
    else if (type === 0x8864 && this.link) {
      const v = PppoeSessionView.check(f, ETH);
      if (!(v instanceof PppoeSessionView) || v.sessionId !== this.client.sessionId) return;
      const fr = pppFrame.parse(v.payload);
      if (!fr.ok) return;
      this.link.handleFrame(fr.value.protocol, fr.value.payload, now);
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
    for (let t = c.pollTransmit(); t; t = c.pollTransmit()) this.port.send(discoveryFrame(t.dst, this.mac, t.packet));
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
      for (let m = link.pollTransmit(); m; m = link.pollTransmit()) this.port.send(sessionFrame(c.ac!, this.mac, c.sessionId, m));
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
          for (let t = c.pollTransmit(); t; t = c.pollTransmit()) this.port.send(discoveryFrame(t.dst, this.mac, t.packet));
          this.upAt = undefined;
          this.reconnectLater(now);
        }
      }
    }
    let next = c.nextTimeout();
    const ln = link?.nextTimeout();
    if (ln !== undefined && (next === undefined || ln < next)) next = ln;
    rearm(this.clock, this, next, () => {
      const t = this.clock.now();
      c.handleTimeout(t);
      this.link?.handleTimeout(t);
      this.flush(t);
    });
  }
}

/**
 * A star: every frame from a client goes to the hub (the AC) only; frames from the hub go to
 * the client whose MAC is the destination (broadcast from the hub goes to every client).
 * The same seeded impairments as `Segment`, per frame.
 */
export class StarFabric implements Medium {
  private hub: ((f: Uint8Array, from: string) => void) | undefined;
  private readonly clients = new Map<number, (f: Uint8Array, from: string) => void>();
  private readonly all: ((f: Uint8Array, from: string) => void)[] = [];
  private readonly random: () => number;
  readonly counters = { sent: 0, delivered: 0, lost: 0 };

  constructor(
    private readonly clock: Clock,
    private readonly imp: Impairments = {},
    private readonly hubName = 'ac',
  ) {
    this.random = mulberry32(imp.seed ?? 1);
  }

  /** Attach the hub with the hub's name; clients with any other name, keyed by `mac`. */
  attachClient(mac: Uint8Array, onFrame: (f: Uint8Array, from: string) => void): { send(frame: Uint8Array): void } {
    this.clients.set(macKey(mac), onFrame);
    this.all.push(onFrame);
    return { send: (f) => this.transmit(f, false) };
  }

  attach(name: string, onFrame: (frame: Uint8Array, from: string) => void): { send(frame: Uint8Array): void } {
    if (name !== this.hubName) throw new Error('StarFabric: attach clients with attachClient (by MAC)');
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
    const delay = (imp.delay ?? 0) + (imp.jitter ? this.random() * imp.jitter : 0);
    this.clock.setTimer(this.clock.now() + delay, () => {
      this.counters.delivered++;
      if (!fromHub) this.hub?.(f, 'client');
      else if (isBroadcast(f)) for (const c of this.all) c(f, this.hubName);
      else this.clients.get(macKey(f))?.(f, this.hubName);
    });
  }
}

/** A medium view for one client of a StarFabric (so ClientHost can attach to it like to a Segment). */
export function starPort(fabric: StarFabric, mac: Uint8Array): Medium {
  return { attach: (_name, onFrame) => fabric.attachClient(mac, onFrame) };
}

/** Client MAC number i (locally administered 02:xx...). */
export function clientMac(i: number): Uint8Array {
  return new Uint8Array([0x02, 0x00, (i >>> 24) & 0xff, (i >>> 16) & 0xff, (i >>> 8) & 0xff, i & 0xff]);
}
