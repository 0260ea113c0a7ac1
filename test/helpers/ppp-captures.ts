/**
 * The PPP and PPPoE frames of the two real captures, found by walking the outer headers
 * with fixed offsets (Ethernet II without VLAN tags, IPv4 with IHL, UDP, the L2TPv2 data
 * header's optional fields) until the Ethernet/IP/UDP/L2TP codecs are there to do it.
 */
import { loadCapture } from './captures.js';
import { u16 } from '../../src/wire/bytes.js';

export interface PppoeCaptured {
  /** 1-based frame number, as tshark numbers it. */
  readonly frame: number;
  readonly timestampMs: number;
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly ethertype: 0x8863 | 0x8864;
  /** The whole Ethernet frame. */
  readonly ether: Uint8Array;
  /** PPPoE header + payload, cut at the PPPoE LENGTH. */
  readonly pppoe: Uint8Array;
}

export function pppoeFrames(name = 'pppd-rp-pppoe-chap-ipcp-ping.pcap'): PppoeCaptured[] {
  const out: PppoeCaptured[] = [];
  loadCapture(name).packets.forEach((p, i) => {
    const d = p.data;
    const et = u16(d, 12);
    if (et !== 0x8863 && et !== 0x8864) return;
    const len = u16(d, 14 + 4);
    out.push({ frame: i + 1, timestampMs: p.timestampMs, dst: d.subarray(0, 6), src: d.subarray(6, 12), ethertype: et, ether: d, pppoe: d.subarray(14, 14 + 6 + len) });
  });
  return out;
}

export interface L2tpPppCaptured {
  readonly frame: number;
  readonly srcIp: number;
  /** The PPP frame as carried in the L2TP data message (starting with 0xff 0x03). */
  readonly ppp: Uint8Array;
}

/** PPP frames carried in L2TP data messages (T bit clear). */
export function l2tpPppFrames(name = 'xl2tpd-lac-lns-chap-ipcp-ping.pcap'): L2tpPppCaptured[] {
  const out: L2tpPppCaptured[] = [];
  loadCapture(name).packets.forEach((p, i) => {
    const d = p.data;
    if (u16(d, 12) !== 0x0800 || d[14 + 9] !== 17) return;
    const ip = 14;
    const ihl = (d[ip]! & 0x0f) * 4;
    const udp = ip + ihl;
    if (u16(d, udp + 2) !== 1701 && u16(d, udp) !== 1701) return;
    const l2tp = udp + 8;
    const flags = u16(d, l2tp);
    if (flags & 0x8000) return; // control message
    let o = l2tp + 2;
    let end = udp + u16(d, udp + 4);
    if (flags & 0x4000) {
      end = l2tp + u16(d, o);
      o += 2;
    }
    o += 4; // tunnel id, session id
    if (flags & 0x0800) o += 4; // Ns, Nr
    if (flags & 0x0200) o += 2 + u16(d, o); // offset size + padding
    const srcIp = ((d[ip + 12]! << 24) | (d[ip + 13]! << 16) | (d[ip + 14]! << 8) | d[ip + 15]!) >>> 0;
    out.push({ frame: i + 1, srcIp, ppp: d.subarray(o, end) });
  });
  return out;
}
