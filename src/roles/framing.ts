/**
 * Frame building shared by the roles: PPP messages into PPPoE session frames and PPPoE
 * discovery packets into Ethernet frames. Control-plane only (each builds one fresh
 * buffer); the data path rewrites headers in place instead (src/wire/l2tp.ts).
 */
import { emitEthernetHeader, EtherType, ETHERNET_HEADER_LENGTH } from '../wire/ethernet.js';
import { pppoeDiscovery, writeSessionHeader, PPPOE_HEADER_LENGTH, type PppoeDiscovery } from '../wire/pppoe.js';
import { encodePppMessage, type PppMessage } from '../proto/ppp-common.js';
import { setU16 } from '../wire/bytes.js';

/** Ethernet + PPPoE session header in front of a PPP frame. */
export const PPPOE_SESSION_HEADROOM = ETHERNET_HEADER_LENGTH + PPPOE_HEADER_LENGTH;

export function pppoeDiscoveryFrame(dst: Uint8Array, src: Uint8Array, p: PppoeDiscovery): Uint8Array {
  const buf = new Uint8Array(ETHERNET_HEADER_LENGTH + pppoeDiscovery.encodedLength(p));
  emitEthernetHeader(dst, src, [], EtherType.PPPOE_DISCOVERY, buf, 0);
  pppoeDiscovery.emit(p, buf, ETHERNET_HEADER_LENGTH);
  return buf;
}

/** A PPP control message as a PPPoE session frame. */
export function pppoeSessionFrame(dst: Uint8Array, src: Uint8Array, sessionId: number, m: PppMessage): Uint8Array {
  const buf = encodePppMessage(m, PPPOE_SESSION_HEADROOM);
  emitEthernetHeader(dst, src, [], EtherType.PPPOE_SESSION, buf, 0);
  writeSessionHeader(buf, ETHERNET_HEADER_LENGTH, sessionId, buf.length - PPPOE_SESSION_HEADROOM);
  return buf;
}

/** An IPv4 packet as a PPPoE session frame (protocol 0x0021). One copy: the packet comes from an IP stack. */
export function pppoeIpv4Frame(dst: Uint8Array, src: Uint8Array, sessionId: number, ip: Uint8Array): Uint8Array {
  const buf = new Uint8Array(PPPOE_SESSION_HEADROOM + 2 + ip.length);
  emitEthernetHeader(dst, src, [], EtherType.PPPOE_SESSION, buf, 0);
  writeSessionHeader(buf, ETHERNET_HEADER_LENGTH, sessionId, 2 + ip.length);
  setU16(buf, PPPOE_SESSION_HEADROOM, 0x0021);
  buf.set(ip, PPPOE_SESSION_HEADROOM + 2);
  return buf;
}

/** Locally administered unicast MACs from a role number and an index: 02:RR:II:II:II:II. */
export function labMac(role: number, index: number): Uint8Array {
  return new Uint8Array([0x02, role & 0xff, (index >>> 24) & 0xff, (index >>> 16) & 0xff, (index >>> 8) & 0xff, index & 0xff]);
}
