/**
 * Names a frame the way Wireshark's Protocol and Info columns do, for sequence diagrams
 * and logs: "PPPoED Active Discovery Initiation (PADI)", "PPP LCP Configuration Request",
 * "L2TP Control Message - ICCN", "RADIUS Access-Request id=3". Never throws.
 */
import { parseEthernet, EtherType } from './ethernet.js';
import { pppoeDiscovery, pppoeSession, findTag, tagText, PppoeTagType } from './pppoe.js';
import { pppFrame, PppProtocol, CpCode } from './ppp.js';
import { chapPacket } from './chap.js';
import { papPacket } from './pap.js';
import { parseIpv4, IpProtocol } from './ipv4.js';
import { parseUdp } from './udp.js';
import { parseIcmp, IcmpType } from './icmp.js';
import { parseArp, ArpOp } from './arp.js';
import { l2tp, controlMessageType, messageTypeName, L2TP_PORT } from './l2tp.js';
import { radiusPacket, codeName } from './radius.js';
import { ipv4ToString, macToString, bytesText } from './bytes.js';

export interface Described {
  readonly protocol: string;
  readonly label: string;
}

const DISCOVERY: Record<number, string> = {
  0x09: 'Active Discovery Initiation (PADI)',
  0x07: 'Active Discovery Offer (PADO)',
  0x19: 'Active Discovery Request (PADR)',
  0x65: 'Active Discovery Session-confirmation (PADS)',
  0xa7: 'Active Discovery Terminate (PADT)',
};

const CP: Record<number, string> = {
  [CpCode.CONF_REQ]: 'Configuration Request',
  [CpCode.CONF_ACK]: 'Configuration Ack',
  [CpCode.CONF_NAK]: 'Configuration Nak',
  [CpCode.CONF_REJ]: 'Configuration Reject',
  [CpCode.TERM_REQ]: 'Termination Request',
  [CpCode.TERM_ACK]: 'Termination Ack',
  [CpCode.CODE_REJ]: 'Code Reject',
  [CpCode.PROTO_REJ]: 'Protocol Reject',
  [CpCode.ECHO_REQ]: 'Echo Request',
  [CpCode.ECHO_REPLY]: 'Echo Reply',
  [CpCode.DISCARD_REQ]: 'Discard Request',
};

const CP_NAMES: Record<number, string> = {
  [PppProtocol.LCP]: 'PPP LCP',
  [PppProtocol.IPCP]: 'PPP IPCP',
  [PppProtocol.IPV6CP]: 'PPP IPV6CP',
  [PppProtocol.CCP]: 'PPP CCP',
};

/** A PPP frame starting at the protocol field or at 0xff 0x03. */
export function describePpp(b: Uint8Array): Described {
  const f = pppFrame.parse(b);
  if (!f.ok) return { protocol: 'PPP', label: '[Malformed Packet]' };
  const { protocol, payload } = f.value;
  const cp = CP_NAMES[protocol];
  if (cp) return { protocol: cp, label: CP[payload[0] ?? 0] ?? `Unknown code ${payload[0]}` };
  if (protocol === PppProtocol.CHAP) {
    const c = chapPacket.parse(payload);
    if (!c.ok) return { protocol: 'PPP CHAP', label: '[Malformed Packet]' };
    const p = c.value;
    switch (p.kind) {
      case 'challenge': return { protocol: 'PPP CHAP', label: `Challenge (NAME='${bytesText(p.name)}')` };
      case 'response': return { protocol: 'PPP CHAP', label: `Response (NAME='${bytesText(p.name)}')` };
      case 'success': return { protocol: 'PPP CHAP', label: `Success (MESSAGE='${bytesText(p.message)}')` };
      case 'failure': return { protocol: 'PPP CHAP', label: `Failure (MESSAGE='${bytesText(p.message)}')` };
      default: return { protocol: 'PPP CHAP', label: `Unknown code ${p.code}` };
    }
  }
  if (protocol === PppProtocol.PAP) {
    const c = papPacket.parse(payload);
    if (!c.ok) return { protocol: 'PPP PAP', label: '[Malformed Packet]' };
    const p = c.value;
    if (p.kind === 'auth-req') return { protocol: 'PPP PAP', label: `Authenticate-Request (Peer-ID='${bytesText(p.peerId)}')` };
    if (p.kind === 'auth-ack') return { protocol: 'PPP PAP', label: 'Authenticate-Ack' };
    if (p.kind === 'auth-nak') return { protocol: 'PPP PAP', label: 'Authenticate-Nak' };
    return { protocol: "PPP PAP", label: `Unknown code ${(p as { code: number }).code}` };
  }
  if (protocol === PppProtocol.IPV4) return describeIpv4(payload);
  return { protocol: 'PPP', label: `protocol 0x${protocol.toString(16).padStart(4, '0')}` };
}

function describeIpv4(b: Uint8Array): Described {
  const ip = parseIpv4(b);
  if (!ip.ok) return { protocol: 'IPv4', label: '[Malformed Packet]' };
  const p = ip.value;
  const hosts = `${ipv4ToString(p.src)} → ${ipv4ToString(p.dst)}`;
  if (p.protocol === IpProtocol.ICMP) {
    const m = parseIcmp(p.payload);
    if (!m.ok) return { protocol: 'ICMP', label: `${hosts} [Malformed Packet]` };
    const v = m.value;
    if (v.kind === 'echo') {
      const what = v.type === IcmpType.ECHO_REQUEST ? 'Echo (ping) request' : 'Echo (ping) reply';
      return { protocol: 'ICMP', label: `${what} id=0x${v.identifier.toString(16).padStart(4, '0')}, seq=${v.sequence}, ${hosts}` };
    }
    if (v.kind === 'dest-unreachable') return { protocol: 'ICMP', label: `Destination unreachable (code ${v.code}) ${hosts}` };
    if (v.kind === 'time-exceeded') return { protocol: 'ICMP', label: `Time-to-live exceeded ${hosts}` };
    return { protocol: 'ICMP', label: `type ${v.type} ${hosts}` };
  }
  if (p.protocol === IpProtocol.UDP) {
    const u = parseUdp(p.payload);
    if (!u.ok) return { protocol: 'UDP', label: '[Malformed Packet]' };
    const { srcPort, dstPort, payload } = u.value;
    if (srcPort === L2TP_PORT || dstPort === L2TP_PORT) return describeL2tp(payload);
    const radiusPorts = [1812, 1813, 3799];
    if (radiusPorts.includes(srcPort) || radiusPorts.includes(dstPort)) {
      const r = radiusPacket.parse(payload);
      if (!r.ok) return { protocol: 'RADIUS', label: '[Malformed Packet]' };
      return { protocol: 'RADIUS', label: `${codeName(r.value.code)} id=${r.value.identifier}` };
    }
    return { protocol: 'UDP', label: `${srcPort} → ${dstPort} Len=${payload.length}` };
  }
  return { protocol: 'IPv4', label: `${hosts} protocol ${p.protocol}` };
}

export function describeL2tp(b: Uint8Array): Described {
  const m = l2tp.parse(b);
  if (!m.ok) return { protocol: 'L2TP', label: '[Malformed Packet]' };
  const v = m.value;
  if (v.kind === 'data') return describePpp(v.payload);
  const t = controlMessageType(v);
  const name = t === undefined ? 'ZLB' : messageTypeName(t);
  return { protocol: 'L2TP', label: `Control Message - ${name} (tunnel id=${v.tunnelId}, session id=${v.sessionId})` };
}

/** An Ethernet frame. */
export function describeFrame(b: Uint8Array): Described {
  const e = parseEthernet(b);
  if (!e.ok) return { protocol: 'Ethernet', label: '[Malformed Packet]' };
  const f = e.value;
  switch (f.ethertype) {
    case EtherType.PPPOE_DISCOVERY: {
      const d = pppoeDiscovery.parse(f.payload);
      if (!d.ok) return { protocol: 'PPPoED', label: '[Malformed Packet]' };
      let label = DISCOVERY[d.value.code] ?? `Unknown code 0x${d.value.code.toString(16)}`;
      const ac = tagText(findTag(d.value.tags, PppoeTagType.AC_NAME));
      if (d.value.code === 0x07 && ac !== undefined) label += ` AC-Name='${ac}'`;
      return { protocol: 'PPPoED', label };
    }
    case EtherType.PPPOE_SESSION: {
      const s = pppoeSession.parse(f.payload);
      if (!s.ok) return { protocol: 'PPPoES', label: '[Malformed Packet]' };
      return describePpp(s.value.payload);
    }
    case EtherType.IPV4:
      return describeIpv4(f.payload);
    case EtherType.ARP: {
      const a = parseArp(f.payload);
      if (!a.ok) return { protocol: 'ARP', label: '[Malformed Packet]' };
      const p = a.value;
      if (p.op === ArpOp.REQUEST) return { protocol: 'ARP', label: `Who has ${ipv4ToString(p.tpa)}? Tell ${ipv4ToString(p.spa)}` };
      return { protocol: 'ARP', label: `${ipv4ToString(p.spa)} is at ${macToString(p.sha)}` };
    }
    default:
      return { protocol: 'Ethernet', label: `type 0x${f.ethertype.toString(16).padStart(4, '0')}` };
  }
}
