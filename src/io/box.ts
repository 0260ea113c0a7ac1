/**
 * One box of a topology on the wall clock, its ports on real Ethernet interfaces
 * (`pseudonet up FILE --box NAME`). The same role code as the in-process network; this
 * file only opens the attachments, builds the role with the interfaces' own MACs and the
 * topology's addresses (derived as src/sim/network.ts derives them), and drives it:
 * after every input batch it drains the role's output and re-arms one timer at
 * `nextTimeout()` (the `kick` pattern). `show()` answers the control endpoint;
 * `shutdown()` tears sessions down the way the protocols want before the process exits.
 */
import { Driver, VIEWS, type Box, type BoxKind, type Clock, type View } from '../roles/box.js';
import type { RadiusBox } from '../roles/radius-box.js';
import { build, locate, type AnyBox } from '../config/assemble.js';
import type { Topology } from '../config/topology.js';
import { macToString } from '../wire/bytes.js';
import { ispPlan } from '../config/derive.js';
import { radiusPacket, textAttr, ipv4Attr, RadiusCode, A } from '../wire/radius.js';
import { signPacket } from '../wire/radius-crypto.js';
import { encode } from '../wire/result.js';
import { WallClock } from './wall-clock.js';
import { AfPacket } from './afpacket.js';
import { FileSpool } from './radius-spool.js';

/** An Ethernet port the box sends on (an AF_PACKET attachment, or an in-memory link in tests). */
export interface EtherPort {
  readonly mac: Uint8Array;
  send(frame: Uint8Array): void;
  close(): void;
  readonly counters?: object;
  kernelStats?(): { drops: number };
}

/** Opens interface `ifname`; frames go to `onFrame`, and `onBatch` runs after each batch. */
export type PortOpener = (ifname: string, onFrame: (f: Uint8Array) => void, onBatch: () => void) => EtherPort;

/**
 * The least time between two fsyncs of an nte's accounting spool: a record reaches the disk
 * (power-loss safe) at most this much later than with an fsync per turn; kill -9 safe at once.
 */
const SPOOL_FSYNC_MS = 5;

export const openAfPacket: PortOpener = (ifname, onFrame, onBatch) => new AfPacket(ifname, onFrame, {}, onBatch);

export interface BoxEvent {
  readonly box: string;
  readonly at: number;
  readonly kind: string;
  readonly event: unknown;
}

export interface BoxOptions {
  readonly clock?: Clock;
  readonly open?: PortOpener;
  /** Every role event, as it happens. */
  readonly onEvent?: (e: BoxEvent) => void;
  /** A home starts PPPoE discovery at once (default true). */
  readonly autoStart?: boolean;
  /**
   * An nte writes its accounting ahead to this file (src/io/radius-spool.ts): a record is
   * committed before the event that reports it leaves the process, and leaves the file when
   * the server acknowledged it; a restart sends what a killed process left. Asked only for an nte.
   */
  readonly accountingSpool?: () => string;
  /** Every frame in or out of a port (the embedded RADIUS's wire too), for logs and ladders. */
  readonly onFrame?: FrameTap;
}

/** A frame in (received) or out (sent) on a box's port. */
export type FrameTap = (port: string, frame: Uint8Array, dir: 'in' | 'out', at: number) => void;

/**
 * What `pseudonet up` runs and the control endpoint asks: a `Box` (one box of the topology)
 * or the home emulator (`HomesBox`, src/io/homes.ts).
 */
export interface RunningBox {
  readonly name: string;
  readonly kind: string;
  show(what: string): unknown;
  /** ICMP echo (from home `from` of an emulator), ICMPv6 echo when `dst` is an IPv6 address; the RTT in ms, or undefined. */
  ping(dst: number | Uint8Array, timeoutMs?: number, size?: number, from?: string): Promise<number | undefined>;
  shutdown(timeoutMs?: number): Promise<{ clean: boolean }>;
  close(): void;
  /** A home hangs up and stays down (no redial) until `homeUp` (a home box or the emulator). */
  homeDown?(home: string): void;
  homeUp?(home: string): void;
  /** The ISP's embedded RADIUS sends an RFC 5176 Disconnect-Request for `user` (an nte box). */
  disconnectRequest?(user: string): void;
}

/** How long an sse or nte keeps answering its peers after its own shutdown is done (ms). */
export const LINGER_MS = 1500;

export class BoxProcess implements RunningBox {
  readonly name: string;
  readonly kind: BoxKind;
  readonly clock: Clock;
  readonly ports = new Map<string, EtherPort>();
  readonly interfaces: Record<string, string>;
  /** The box this process runs (built by the one assembler). */
  readonly box: AnyBox;
  /** The embedded RADIUS of an nte whose `radius` port is not on a real interface. */
  readonly radius: RadiusBox | undefined;
  /** What happened, for `show events` (at least the last 1,000; an nte's after its turn's spool commit). */
  readonly events: BoxEvent[] = [];
  private readonly drivers: Driver<string, unknown>[] = [];
  private readonly driver: Driver<string, unknown>;
  private readonly pings = new Map<number, (rtt: number | undefined) => void>();
  private pingSeq = 0;
  private readonly opts: BoxOptions;
  /** The nte's write-ahead accounting spool. */
  readonly spool: FileSpool | undefined;
  private readonly isp: number | undefined;
  /** A home box held down (`homeDown`). */
  held = false;

  constructor(readonly topology: Topology, name: string, opts: BoxOptions = {}) {
    const t = topology;
    const site = locate(t, name);
    if (site.kind !== 'sse' && site.kind !== 'nte' && site.kind !== 'router' && site.kind !== 'server' && site.kind !== 'home') throw new Error(`box ${name}: a ${site.kind} runs inside its LNS or sse process, not on its own`);
    this.name = name;
    this.kind = site.kind;
    this.interfaces = { ...site.interfaces };
    this.opts = opts;
    this.isp = site.isp;
    const tap = opts.onFrame;
    const clock = (this.clock = opts.clock ?? new WallClock());
    const open = opts.open ?? openAfPacket;
    const embeddedRadius = site.kind === 'nte' && t.isps[site.isp!]!.radius === 'embedded' && !this.interfaces['radius'];
    const missing = Object.keys(site.links).filter((p) => !this.interfaces[p] && !(p === 'radius' && embeddedRadius));
    if (missing.length) throw new Error(`box ${name}: give an interface for port${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (topology: interfaces: { ${missing.map((p) => `${p}: IFNAME`).join(', ')} })`);

    // Open every attachment first (an error leaves nothing open), then build the box with their MACs.
    let driver: Driver<string, unknown> | undefined;
    try {
      for (const [port, ifname] of Object.entries(this.interfaces)) {
        this.ports.set(port, open(ifname, tap ? (f) => (tap(port, f, 'in', clock.now()), driver?.receive(port, f)) : (f) => driver?.receive(port, f), () => driver?.kick()));
      }
    } catch (e) {
      for (const p of this.ports.values()) p.close();
      throw e;
    }
    // The fsync runs in the thread pool: the nte's loop never waits for the disk; its events wait for the fsync instead.
    // At most one every SPOOL_FSYNC_MS: on a fast disk one per event-loop turn was 7 % of the nte's CPU at 4,000 setups/s.
    this.spool = site.kind === 'nte' && opts.accountingSpool ? new FileSpool(opts.accountingSpool(), { fsyncInBackground: true, fsyncIntervalMs: SPOOL_FSYNC_MS }) : undefined;
    const spool = this.spool;
    this.box = build(t, site, { now: clock.now(), mac: (port) => this.ports.get(port)?.mac, externalRadius: 'direct', ...(spool ? { accountingSpool: () => spool } : {}) });
    driver = this.driver = this.drive(this.box);
    for (const [port, p] of this.ports) driver.attach(port, tap ? { send: (f) => (tap(port, f, 'out', clock.now()), p.send(f)) } : p);
    if (embeddedRadius) {
      // The ISP's embedded RADIUS runs in this process, wired straight to the nte's radius port.
      const rsite = locate(t, `${t.isps[site.isp!]!.name}-radius`);
      const radius = (this.radius = build(t, rsite, { now: clock.now() }) as RadiusBox);
      const rd = this.drive(radius);
      const nte = driver;
      // Delivered on the next clock turn, never inside the sender's own drain: what one side
      // sent in a turn goes over as one batch behind one timer (not a timer per frame).
      const link = (to: Driver<string, unknown>, inTap: boolean): { send: (f: Uint8Array) => void } => {
        let queue: Uint8Array[] = [];
        const deliver = (): void => {
          const batch = queue;
          queue = [];
          for (const f of batch) {
            if (inTap) tap?.('radius', f, 'in', clock.now());
            to.receive('radius', f);
          }
          to.kick();
        };
        return { send: (f) => void (queue.push(f) === 1 && clock.setTimer(clock.now(), deliver)) };
      };
      const toRadius = link(rd, false);
      nte.attach('radius', { send: (f) => (tap?.('radius', f, 'out', clock.now()), toRadius.send(f)) });
      rd.attach('radius', link(nte, true));
      rd.kick();
    }
    if (this.box.kind === 'home' && (opts.autoStart ?? true)) {
      const home = this.box;
      this.act((n) => home.start(n));
    }
    driver.kick();
  }

  private drive(box: AnyBox): Driver<string, unknown> {
    const d = new Driver<string, unknown>(this.clock, box as Box<string, unknown>, (e) => this.boxEvent(box, e));
    this.drivers.push(d);
    return d;
  }

  private boxEvent(box: AnyBox, e: unknown): void {
    const ev = e as { type?: string; kind?: string; event?: { kind?: string; sequence?: number; rtt?: number }; sequence?: number; rtt?: number };
    if (box.kind === 'home' && (ev.type === 'ip' || ev.type === 'ip6') && ev.event?.kind === 'echo-reply') this.pings.get(ev.event.sequence!)?.(ev.event.rtt);
    if ((box.kind === 'server' || box.kind === 'router') && (ev.kind === 'echo-reply' || ev.kind === 'echo-reply6')) this.pings.get(ev.sequence!)?.(ev.rtt);
    if (box.kind === 'home' && this.held && ev.type === 'pppoe-up') {
      // Held down: whatever made it dial, it hangs up at once.
      this.clock.setTimer(this.clock.now(), () => this.act((n) => box.padt(n, 'held down')));
    }
    this.emit(box.kind, e);
  }

  private emit(kind: string, event: unknown): void {
    const e: BoxEvent = { box: this.name, at: this.clock.now(), kind, event };
    if (!this.spool) return this.deliver(e);
    // Write-ahead: the accounting behind what an event reports is on disk before the event
    // leaves. One commit for every event of this event-loop turn, not one per event (a mass
    // dial reports thousands a second), and the events leave when its fsync has returned.
    this.unreported.push(e);
    if (!this.reportQueued) {
      this.reportQueued = true;
      setImmediate(this.report);
    }
  }

  private unreported: BoxEvent[] = [];
  private reportQueued = false;
  /** Commits the spool once, then lets this turn's events leave when the commit is on disk. */
  private readonly report = (): void => {
    this.reportQueued = false;
    if (!this.unreported.length) return;
    const list = this.unreported;
    this.unreported = [];
    const spool = this.spool!;
    spool.commit();
    spool.whenDurable(() => {
      for (const e of list) this.deliver(e);
    });
  };

  private deliver(e: BoxEvent): void {
    const ev = this.events;
    ev.push(e);
    // Trimmed in chunks: one splice per thousand events, not a 1,000-element shift per event.
    if (ev.length >= 2000) ev.splice(0, ev.length - 1000);
    this.opts.onEvent?.(e);
  }

  private home(name: string): Extract<AnyBox, { kind: 'home' }> {
    const box = this.box;
    if (box.kind !== 'home') throw new Error(`box ${this.name} is a ${box.kind}, not a home`);
    if (name !== this.name) throw new Error(`no home named "${name}" here (this box is ${this.name})`);
    return box;
  }

  /** The home hangs up (LCP Terminate-Request, then PADT) and stays down until `homeUp`. */
  homeDown(name: string): void {
    const home = this.home(name);
    this.held = true;
    if (home.pppoeState === 'session') this.act((n) => (home.isOnline ? home.disconnect(n) : home.padt(n, 'held down')));
  }

  homeUp(name: string): void {
    const home = this.home(name);
    this.held = false;
    const s = home.pppoeState;
    if (s !== 'session' && s !== 'padi-sent' && s !== 'padr-sent') this.act((n) => home.start(n));
  }

  /** The ISP's embedded RADIUS (in this nte's process) sends an RFC 5176 Disconnect-Request for `user`. */
  disconnectRequest(user: string): void {
    const rb = this.radius;
    if (this.box.kind !== 'nte' || !rb || this.isp === undefined) throw new Error(`box ${this.name}: a Disconnect-Request comes from the embedded RADIUS of an LNS box`);
    const plan = ispPlan(this.topology, this.isp);
    const packet = { code: RadiusCode.DISCONNECT_REQUEST, identifier: (this.daeId = (this.daeId + 1) & 0xff), authenticator: new Uint8Array(16), attributes: [textAttr(A.USER_NAME, user), ipv4Attr(A.NAS_IP_ADDRESS, plan.radiusNte)] };
    const bytes = encode(radiusPacket, packet);
    signPacket(bytes, plan.radiusSecret);
    const d = this.drivers[1]!;
    d.act((now) => rb.sendDae(plan.radiusNte, bytes, now));
  }

  private daeId = 0;

  /** Runs `f` on the box, then moves its output (commands from outside). */
  act(f: (now: number) => void): void {
    this.driver.act(f);
  }

  /**
   * ICMP echo from a home or server box, or ICMPv6 echo (an IPv6 `dst`) from a home, server,
   * router or nte with an IPv6 address; resolves with the RTT (ms) or undefined after `timeoutMs`.
   */
  ping(dst: number | Uint8Array, timeoutMs = 1000, size = 56): Promise<number | undefined> {
    const seq = (this.pingSeq = (this.pingSeq + 1) & 0xffff);
    const box = this.box;
    return new Promise((resolve) => {
      const done = (rtt: number | undefined): void => {
        clearTimeout(timer);
        this.pings.delete(seq);
        resolve(rtt);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      this.pings.set(seq, done);
      if (typeof dst !== 'number') {
        if (box.kind === 'server' || box.kind === 'router' || box.kind === 'home') this.act((n) => void (box.ping6(dst, seq, n, size) || done(undefined)));
        else if (box.kind === 'nte') {
          // The nte's router keeps the replies to its own pings: look for ours until it comes or the timer ends.
          let sentAt = 0;
          this.act((n) => {
            sentAt = n;
            if (!box.router.ping6(dst, NTE_PING_ID, seq, size, n)) done(undefined);
          });
          const poll = setInterval(() => {
            for (let r = box.router.pollEchoReply6(); r; r = box.router.pollEchoReply6()) {
              if (r.identifier === NTE_PING_ID && r.sequence === seq) {
                clearInterval(poll);
                done(r.at - sentAt);
              }
            }
          }, 2);
          setTimeout(() => clearInterval(poll), timeoutMs);
        } else done(undefined);
        return;
      }
      if (box.kind === 'home') {
        if (!box.isOnline) return done(undefined);
        this.act((n) => box.ping(dst, seq, n, size));
      } else if (box.kind === 'server') this.act((n) => box.ping(dst, seq, n, size));
      else done(undefined);
    });
  }

  /** What the control endpoint answers: the box's views, plus the ports, the box and its events. */
  show(what: string): unknown {
    const now = this.clock.now();
    const ports = Object.fromEntries([...this.ports].map(([p, x]) => [p, { interface: this.interfaces[p], mac: macToString(x.mac), ...(x.counters ? { counters: x.counters } : {}), ...(x.kernelStats ? { kernel: x.kernelStats() } : {}) }]));
    switch (what) {
      case 'box':
        return { name: this.name, kind: this.kind, interfaces: this.interfaces, ports };
      case 'events':
        return this.events.slice(-200);
      case 'interfaces':
        return { ports, ...((this.box.show('interfaces', now) as object | undefined) ?? {}) };
      case 'counters':
        // The embedded RADIUS is a box of its own in this process: its host (ARP, UDP) and server counters too.
        return { ports, ...((this.box.show('counters', now) as object | undefined) ?? {}), ...(this.radius ? { embeddedRadius: this.radius.show('counters', now) } : {}), ...(this.spool ? { accountingSpool: this.spool.counters } : {}) };
      default:
        if (!(VIEWS as readonly string[]).includes(what)) throw new Error(`unknown "${what}" (${[...VIEWS, 'events', 'box'].join(', ')})`);
        return this.box.show(what as View, now) ?? [];
    }
  }

  /**
   * Ends everything the way the protocols want, then stops: a home sends LCP Terminate-Request
   * and PADT; the sse sends CDN per call and PADT per session, then StopCCN per tunnel; the nte
   * sends StopCCN per tunnel (every session's Accounting-Stop goes to RADIUS) and waits for the
   * RADIUS answers. Waits at most `timeoutMs` for the peers' acknowledgements.
   */
  async shutdown(timeoutMs = 5000): Promise<{ clean: boolean }> {
    const deadline = this.clock.now() + timeoutMs;
    const until = async (done: () => boolean, by = deadline): Promise<boolean> => {
      while (!done()) {
        if (this.clock.now() >= by) return false;
        await new Promise((r) => setTimeout(r, 20));
      }
      return true;
    };
    let clean = true;
    const box = this.box;
    if (box.kind === 'home' && box.pppoeState === 'session') {
      this.act((n) => box.disconnect(n));
      clean = await until(() => box.pppoeState !== 'session');
      if (!clean) this.act((n) => box.padt(n, 'shutting down'));
    }
    if (box.kind === 'sse') {
      // No new sessions (homes redial after our PADT), then a CDN per call and a PADT per session.
      box.drain();
      for (const s of box.relaying()) this.act((n) => box.disconnect(s.pppoeSessionId, n, 'LAC shutting down', s.port));
      // Let the CDNs be acknowledged for at most half the time, then stop every tunnel (StopCCN
      // ends what is left, RFC 2661 §5.7) and wait for the LNS to acknowledge it.
      const half = this.clock.now() + timeoutMs / 2;
      await until(() => this.clock.now() >= half || box.l2tp.tunnelInfo().every((t) => t.outstanding === 0));
      for (const t of box.l2tp.tunnelInfo()) if (t.state !== 'closing') this.act((n) => box.l2tp.closeTunnel(t.tunnelId, n));
      clean = (await until(() => box.l2tp.tunnelInfo().every((t) => t.state === 'closing' && t.outstanding === 0))) && clean;
    }
    if (box.kind === 'nte') {
      this.act((n) => box.stopAll(n));
      clean = (await until(() => box.sessionCount === 0 && box.radius.accountingBacklog === 0 && box.l2tp.tunnelInfo().every((t) => t.state === 'closing' && t.outstanding === 0))) && clean;
    }
    if (box.kind === 'sse' || box.kind === 'nte') {
      // Keep answering a little longer: the peer may be shutting down too, and its StopCCN is
      // acknowledged by a ZLB after the ack delay (100 ms), or again when it retransmits (1 s).
      const lingerUntil = this.clock.now() + LINGER_MS;
      await until(() => this.clock.now() >= lingerUntil, lingerUntil);
    }
    // The last frames leave with the microtask flush of each port.
    await new Promise((r) => setImmediate(r));
    this.close();
    return { clean };
  }

  close(): void {
    for (const d of this.drivers) d.stop();
    this.report();
    this.spool?.close();
    for (const p of this.ports.values()) p.close();
    if (this.clock instanceof WallClock) this.clock.cancelAll();
  }
}

/** ICMPv6 Echo identifier of pings from an nte's router. */
const NTE_PING_ID = 0x6e74;
