/**
 * Runs our L2TP engines on real UDP for the xl2tpd lab test (started inside a network namespace
 * with `ip netns exec`). Config is the JSON in $PN_L2TP_AGENT (not argv: it holds the secrets). Prints one JSON line per event on stdout;
 * reads commands (JSON lines) on stdin: {"cmd":"open"}, {"cmd":"close-session"},
 * {"cmd":"close-tunnel"}, {"cmd":"stats"}, {"cmd":"exit"}.
 * Behind each session sits a minimal PPP peer: LCP (ack everything, answer echo), CHAP-MD5 as
 * the client, IPCP (address by Nak), ICMP echo replies — enough to bring pppd's ip-up.
 */
import dgram from 'node:dgram';
import readline from 'node:readline';
import { WallClock } from '../../src/io/wall-clock.js';
import { L2tpNode, type L2tpEvent } from '../../src/proto/l2tp.js';
import { L2tpDriver } from '../helpers/l2tp-driver.js';
import { fromHex, textBytes, ipv4FromString, ipv4ToString } from '../../src/wire/bytes.js';
import { encode } from '../../src/wire/result.js';
import { pppFrame, lcpPacket, ipcpPacket, PppProtocol, type LcpOption, type IpcpOption, type LcpPacket } from '../../src/wire/ppp.js';
import { chapPacket, chapMd5Response } from '../../src/wire/chap.js';
import { parseIpv4, emitIpv4Header, ipv4HeaderLength, IpProtocol } from '../../src/wire/ipv4.js';
import { icmp, IcmpType } from '../../src/wire/icmp.js';
import { ProxyAuthType } from '../../src/wire/l2tp.js';

interface SideConfig {
  bind: string;
  port: number;
  hostName: string;
  secret?: string;
  /** LNS: our PPP address and the one we give; LAC: the LNS to call and the PPP credentials. */
  localIp?: string;
  peerIp?: string;
  lns?: string;
  user?: string;
  pass?: string;
  knownLac?: string;
}

const cfg = JSON.parse(process.env.PN_L2TP_AGENT ?? '{}') as { lns?: SideConfig; lac?: SideConfig };
const clock = new WallClock();
const t0 = clock.now();

function log(o: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify({ t: Math.round(clock.now() - t0), ...o }) + '\n');
}

/** A minimal PPP peer on one L2TP session. */
class MiniPpp {
  private readonly magic = (Math.random() * 0xffffffff) >>> 0;
  private lcpId = 1;
  private lcpAckedByPeer = false;
  private lcpAckedPeer = false;
  private lcpOpen = false;
  private ipcpId = 1;
  private ipcpAckedByPeer = false;
  private ipcpAckedPeer = false;
  private ourIp: number;
  private timer: NodeJS.Timeout | undefined;
  private tries = 0;
  framesIn = 0;
  framesOut = 0;

  constructor(
    private readonly role: 'server' | 'client',
    private readonly tag: string,
    private readonly sendFrame: (f: Uint8Array) => void,
    private readonly side: SideConfig,
  ) {
    this.ourIp = role === 'server' ? ipv4FromString(side.localIp!) : 0;
  }

  start(): void {
    this.sendLcpReq();
    this.timer = setInterval(() => {
      if (++this.tries > 20) return this.stop();
      if (!this.lcpAckedByPeer) this.sendLcpReq();
      else if (this.lcpOpen && !this.ipcpAckedByPeer && (this.role === 'server' || this.chapDone)) this.sendIpcpReq();
    }, 1000);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private chapDone = false;

  private send(protocol: number, payload: Uint8Array): void {
    this.framesOut++;
    this.sendFrame(encode(pppFrame, { acf: true, protocol, payload }));
  }

  private sendLcpReq(): void {
    this.send(PppProtocol.LCP, encode(lcpPacket, { kind: 'conf-req', identifier: this.lcpId, options: [{ kind: 'magic', magic: this.magic }] as LcpOption[] }));
  }

  private sendIpcpReq(): void {
    this.send(PppProtocol.IPCP, encode(ipcpPacket, { kind: 'conf-req', identifier: this.ipcpId, options: [{ kind: 'ip-address', address: this.ourIp }] as IpcpOption[] }));
  }

  input(frame: Uint8Array): void {
    this.framesIn++;
    const f = pppFrame.parse(frame);
    if (!f.ok) return log({ ev: 'ppp-bad', tag: this.tag, code: f.error.code });
    const { protocol, payload } = f.value;
    if (protocol === PppProtocol.LCP) return this.lcp(payload);
    if (protocol === PppProtocol.CHAP) return this.chap(payload);
    if (protocol === PppProtocol.IPCP) return this.ipcp(payload);
    if (protocol === PppProtocol.IPV4) return this.ip(payload);
    // IPV6CP, CCP...: Protocol-Reject (RFC 1661 §5.7).
    if (this.lcpOpen) this.send(PppProtocol.LCP, encode(lcpPacket, { kind: 'proto-rej', identifier: ++this.lcpId & 0xff, protocol, data: payload }));
  }

  private lcp(b: Uint8Array): void {
    const r = lcpPacket.parse(b);
    if (!r.ok) return;
    const p = r.value as LcpPacket;
    switch (p.kind) {
      case 'conf-req':
        this.send(PppProtocol.LCP, encode(lcpPacket, { kind: 'conf-ack', identifier: p.identifier, options: p.options }));
        this.lcpAckedPeer = true;
        log({ ev: 'lcp-conf-req', tag: this.tag, options: p.options.map((o) => o.kind + (o.kind === 'auth' ? `:${o.protocol.toString(16)}` : '')) });
        break;
      case 'conf-ack':
        if (p.identifier === this.lcpId) this.lcpAckedByPeer = true;
        break;
      case 'echo-req':
        this.send(PppProtocol.LCP, encode(lcpPacket, { kind: 'echo-reply', identifier: p.identifier, magic: this.magic, data: p.data }));
        log({ ev: 'lcp-echo-answered', tag: this.tag });
        break;
      case 'term-req':
        this.send(PppProtocol.LCP, encode(lcpPacket, { kind: 'term-ack', identifier: p.identifier, data: new Uint8Array(0) }));
        log({ ev: 'lcp-terminated', tag: this.tag });
        this.stop();
        return;
      default:
        log({ ev: 'lcp-other', tag: this.tag, kind: p.kind });
    }
    if (!this.lcpOpen && this.lcpAckedByPeer && this.lcpAckedPeer) {
      this.lcpOpen = true;
      log({ ev: 'lcp-opened', tag: this.tag });
      if (this.role === 'server') this.sendIpcpReq();
    }
  }

  private chap(b: Uint8Array): void {
    const r = chapPacket.parse(b);
    if (!r.ok) return;
    const p = r.value;
    if (p.kind === 'challenge' && this.role === 'client') {
      const value = chapMd5Response(p.identifier, textBytes(this.side.pass!), p.value);
      this.send(PppProtocol.CHAP, encode(chapPacket, { kind: 'response', identifier: p.identifier, value, name: textBytes(this.side.user!) }));
      log({ ev: 'chap-challenge-answered', tag: this.tag });
    } else if (p.kind === 'success') {
      this.chapDone = true;
      log({ ev: 'chap-success', tag: this.tag });
      this.sendIpcpReq();
    } else if (p.kind === 'failure') log({ ev: 'chap-failure', tag: this.tag });
  }

  private ipcp(b: Uint8Array): void {
    const r = ipcpPacket.parse(b);
    if (!r.ok) return;
    const p = r.value;
    if (p.kind === 'conf-req') {
      const others = p.options.filter((o) => o.kind !== 'ip-address');
      const addr = p.options.find((o) => o.kind === 'ip-address');
      if (others.length) {
        this.send(PppProtocol.IPCP, encode(ipcpPacket, { kind: 'conf-rej', identifier: p.identifier, options: others }));
      } else if (this.role === 'server' && (!addr || addr.kind !== 'ip-address' || addr.address !== ipv4FromString(this.side.peerIp!))) {
        this.send(PppProtocol.IPCP, encode(ipcpPacket, { kind: 'conf-nak', identifier: p.identifier, options: [{ kind: 'ip-address', address: ipv4FromString(this.side.peerIp!) }] }));
      } else {
        this.send(PppProtocol.IPCP, encode(ipcpPacket, { kind: 'conf-ack', identifier: p.identifier, options: p.options }));
        this.ipcpAckedPeer = true;
      }
    } else if (p.kind === 'conf-nak') {
      const a = p.options.find((o) => o.kind === 'ip-address');
      if (a && a.kind === 'ip-address') this.ourIp = a.address;
      this.ipcpId++;
      this.sendIpcpReq();
    } else if (p.kind === 'conf-ack' && p.identifier === this.ipcpId) {
      this.ipcpAckedByPeer = true;
    }
    if (this.ipcpAckedByPeer && this.ipcpAckedPeer) {
      this.ipcpAckedByPeer = false; // log once
      this.stop();
      log({ ev: 'ipcp-opened', tag: this.tag, address: ipv4ToString(this.ourIp) });
    }
  }

  /** Answer ICMP echo requests to our address. */
  private ip(b: Uint8Array): void {
    const r = parseIpv4(b);
    if (!r.ok || r.value.protocol !== IpProtocol.ICMP || r.value.dst !== this.ourIp) return;
    const m = icmp.parse(r.value.payload);
    if (!m.ok || m.value.kind !== 'echo' || m.value.type !== IcmpType.ECHO_REQUEST) return;
    const reply = encode(icmp, { ...m.value, type: IcmpType.ECHO_REPLY, checksum: undefined });
    const hdr = { ...r.value, src: r.value.dst, dst: r.value.src, ttl: 64, checksum: undefined, options: new Uint8Array(0), payload: new Uint8Array(0) };
    const out = new Uint8Array(ipv4HeaderLength(hdr) + reply.length);
    emitIpv4Header(hdr, reply.length, out, 0);
    out.set(reply, ipv4HeaderLength(hdr));
    this.send(PppProtocol.IPV4, out);
    log({ ev: 'icmp-echo-answered', tag: this.tag, from: ipv4ToString(r.value.src), seq: m.value.sequence });
  }
}

function summarize(e: L2tpEvent<string>): Record<string, unknown> {
  if (e.type === 'data') return { ev: 'data', session: e.session, len: e.payload.length };
  if (e.type === 'session-up') {
    const { proxyAuth, proxyLcp, privateGroupId, ...rest } = e.info;
    return { ev: e.type, session: e.session, tunnelId: e.tunnelId, sessionId: e.sessionId, peerSessionId: e.peerSessionId, info: { ...rest, proxyAuth: !!proxyAuth, proxyLcp: !!proxyLcp, privateGroupId: !!privateGroupId } };
  }
  if (e.type === 'tunnel-up') return { ev: e.type, tunnelId: e.tunnelId, peerTunnelId: e.peerTunnelId, peerHostName: e.peerHostName, peer: e.peer };
  return { ev: e.type, ...Object.fromEntries(Object.entries(e).filter(([k]) => k !== 'type')) };
}

function side(name: 'lns' | 'lac', sc: SideConfig): { driver: L2tpDriver<string>; sock: dgram.Socket; ppp: Map<number, MiniPpp> } {
  const sock = dgram.createSocket('udp4');
  const secret = sc.secret ? textBytes(sc.secret) : undefined;
  const node = new L2tpNode<string>({
    role: name,
    hostName: sc.hostName,
    authorize: (host, from) => {
      const ok = !sc.knownLac || host === sc.knownLac;
      log({ ev: 'authorize', side: name, host, from, ok });
      return ok ? (secret ? { secret } : {}) : undefined;
    },
  });
  const ppp = new Map<number, MiniPpp>();
  const driver = new L2tpDriver<string>(clock, node, (to, bytes) => {
    const i = to.lastIndexOf(':');
    sock.send(bytes, Number(to.slice(i + 1)), to.slice(0, i));
  });
  driver.onEvent = (e) => {
    if (e.type === 'data') {
      ppp.get(e.session)?.input(e.payload);
      return;
    }
    log({ side: name, ...summarize(e) });
    if (e.type === 'session-up') {
      const p = new MiniPpp(name === 'lns' ? 'server' : 'client', `${name}:${e.session}`, (f) => {
        node.sendData(e.session, f);
        setImmediate(() => driver.pump());
      }, sc);
      ppp.set(e.session, p);
      p.start();
    }
    if (e.type === 'session-down') {
      const p = ppp.get(e.session);
      if (p) log({ ev: 'ppp-frames', side: name, session: e.session, in: p.framesIn, out: p.framesOut });
      p?.stop();
      ppp.delete(e.session);
    }
  };
  sock.on('message', (msg, rinfo) => driver.input(`${rinfo.address}:${rinfo.port}`, new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength)));
  sock.bind({ address: sc.bind, port: sc.port }, () => log({ ev: 'listening', side: name, address: `${sc.bind}:${sc.port}` }));
  return { driver, sock, ppp };
}

const sides: Partial<Record<'lns' | 'lac', ReturnType<typeof side>>> = {};
if (cfg.lns) sides.lns = side('lns', cfg.lns);
if (cfg.lac) sides.lac = side('lac', cfg.lac);

let lacSession = -1;
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const c = JSON.parse(line) as { cmd: string };
  const lac = sides.lac;
  const now = clock.now();
  if (c.cmd === 'open' && lac && cfg.lac) {
    const secret = cfg.lac.secret ? textBytes(cfg.lac.secret) : undefined;
    lacSession = lac.driver.node.openSession({
      lns: `${cfg.lac.lns}:1701`,
      ...(secret ? { secret } : {}),
      call: {
        callingNumber: '02:00:00:00:00:01', calledNumber: 'isp.example', txConnectSpeed: 1_000_000_000, rxConnectSpeed: 1_000_000_000,
        // Proxy AVPs as our sse would send them: xl2tpd ignores them (M bit clear) and negotiates itself.
        // CONFREQ bodies: MRU 1492 and Magic-Number received; MRU 1454, CHAP with MD5 and Magic-Number sent.
        proxyLcp: {
          initialReceived: fromHex('010405d4 050601020304'),
          lastSent: fromHex('010405ae 0305c22305 050609080706'),
          lastReceived: fromHex('010405d4 050601020304'),
        },
        proxyAuth: { type: ProxyAuthType.CHAP, name: cfg.lac.user!, challenge: new Uint8Array(16).fill(7), id: 1, response: new Uint8Array(16).fill(9) },
      },
    }, now);
    lac.driver.pump();
    log({ ev: 'opened', side: 'lac', session: lacSession });
  } else if (c.cmd === 'close-session' && lac) {
    lac.driver.node.closeSession(lacSession, now);
    lac.driver.pump();
  } else if (c.cmd === 'close-tunnel' && lac) {
    for (const t of lac.driver.node.tunnelInfo()) lac.driver.node.closeTunnel(t.tunnelId, now);
    lac.driver.pump();
  } else if (c.cmd === 'stats') {
    for (const [name, s] of Object.entries(sides)) log({ ev: 'stats', side: name, counters: s.driver.node.counters, tunnels: s.driver.node.tunnelInfo() });
  } else if (c.cmd === 'exit') {
    for (const s of Object.values(sides)) {
      s.driver.stop();
      for (const p of s.ppp.values()) p.stop();
      s.sock.close();
    }
    clock.cancelAll();
    log({ ev: 'bye' });
    process.exit(0);
  }
});
