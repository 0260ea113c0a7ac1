/**
 * Ethernet II frames (IEEE 802.3 §3.2.6 type interpretation) with zero, one or two
 * 802.1Q / 802.1ad tags. The frame check sequence is not part of the value (NICs and
 * pcap strip it). The payload is a subarray of the input and keeps any padding, so a
 * parsed frame re-emits byte for byte.
 */
import { u16, setU16 } from './bytes.js';
import { fail, ok, type Codec, type Parsed } from './result.js';

/** EtherType values used in pseudonet (IEEE Registration Authority). Unknown values are kept as numbers. */
export const EtherType = {
  IPV4: 0x0800,
  ARP: 0x0806,
  /** 802.1Q customer VLAN tag (C-tag). */
  VLAN: 0x8100,
  IPV6: 0x86dd,
  /** RFC 2516 PPPoE Discovery stage. */
  PPPOE_DISCOVERY: 0x8863,
  /** RFC 2516 PPPoE Session stage. */
  PPPOE_SESSION: 0x8864,
  /** 802.1ad service VLAN tag (S-tag, QinQ outer). */
  QINQ: 0x88a8,
  /** Pre-standard QinQ outer tag some switches still send. */
  QINQ_LEGACY: 0x9100,
} as const;

/** Values below this in the type field are an 802.3 length, not an EtherType. */
export const ETHERTYPE_MIN = 0x0600;

export const ETHERNET_HEADER_LENGTH = 14;
export const VLAN_TAG_LENGTH = 4;
/** Shortest frame on the wire without FCS; shorter frames are padded by the sender. */
export const ETHERNET_MIN_FRAME = 60;

export const F = { DST: 0, SRC: 6, TYPE: 12, PAYLOAD: 14 } as const;

export const BROADCAST_MAC: Uint8Array = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
export const ZERO_MAC: Uint8Array = new Uint8Array(6);

/** One 802.1Q tag: the TPID that announced it and the Tag Control Information (PCP 3 bits, DEI 1, VID 12). */
export interface VlanTag {
  readonly tpid: number;
  readonly tci: number;
}

export interface EthernetFrame {
  readonly dst: Uint8Array;
  readonly src: Uint8Array;
  /** Outer tag first. At most two are recognised; a third tag is left inside the payload. */
  readonly tags: readonly VlanTag[];
  /** The EtherType after the tags (an 802.3 length when below 0x0600; kept as is). */
  readonly ethertype: number;
  readonly payload: Uint8Array;
}

export function isTpid(t: number): boolean {
  return t === EtherType.VLAN || t === EtherType.QINQ || t === EtherType.QINQ_LEGACY;
}

export const vlanId = (t: VlanTag): number => t.tci & 0x0fff;
export const vlanPcp = (t: VlanTag): number => t.tci >>> 13;

export function parseEthernet(b: Uint8Array): Parsed<EthernetFrame> {
  if (b.length < ETHERNET_HEADER_LENGTH) return fail('ethernet.truncated', 0);
  let o = F.TYPE;
  let type = u16(b, o);
  const tags: VlanTag[] = [];
  while (isTpid(type) && tags.length < 2) {
    if (b.length < o + 2 + VLAN_TAG_LENGTH) return fail('ethernet.truncated-tag', o);
    tags.push({ tpid: type, tci: u16(b, o + 2) });
    o += VLAN_TAG_LENGTH;
    type = u16(b, o);
  }
  return ok({ dst: b.subarray(F.DST, F.DST + 6), src: b.subarray(F.SRC, F.SRC + 6), tags, ethertype: type, payload: b.subarray(o + 2) });
}

export function ethernetHeaderLength(f: { readonly tags: readonly VlanTag[] }): number {
  return ETHERNET_HEADER_LENGTH + VLAN_TAG_LENGTH * f.tags.length;
}

/** No 802.1Q tags: one shared empty list for untagged frames (not an array per frame). */
export const NO_TAGS: readonly VlanTag[] = Object.freeze([]);

/** Writes the header (addresses, tags, EtherType) at `o`; returns its length. */
export function emitEthernetHeader(dst: Uint8Array, src: Uint8Array, tags: readonly VlanTag[], ethertype: number, buf: Uint8Array, o: number): number {
  // Byte by byte: on every frame sent, two subarrays and two set() calls cost more than the copy.
  const d = o + F.DST;
  const s = o + F.SRC;
  for (let i = 0; i < 6; i++) buf[d + i] = dst[i]!;
  for (let i = 0; i < 6; i++) buf[s + i] = src[i]!;
  let p = o + F.TYPE;
  for (let i = 0; i < tags.length; i++) {
    const t = tags[i]!;
    setU16(buf, p, t.tpid);
    setU16(buf, p + 2, t.tci);
    p += VLAN_TAG_LENGTH;
  }
  setU16(buf, p, ethertype);
  return p + 2 - o;
}

export const ethernet: Codec<EthernetFrame> = {
  parse: parseEthernet,
  encodedLength: (f) => ethernetHeaderLength(f) + f.payload.length,
  emit(f, buf, o) {
    const h = emitEthernetHeader(f.dst, f.src, f.tags, f.ethertype, buf, o);
    buf.set(f.payload, o + h);
    return h + f.payload.length;
  },
};

/** True for the all-ones broadcast address. */
export function isBroadcastMac(b: Uint8Array, o = 0): boolean {
  return (b[o]! & b[o + 1]! & b[o + 2]! & b[o + 3]! & b[o + 4]! & b[o + 5]!) === 0xff;
}

/** True for group (multicast or broadcast) addresses: the I/G bit. */
export function isGroupMac(b: Uint8Array, o = 0): boolean {
  return (b[o]! & 1) === 1;
}

/** Writes `mac` into b[o, o + 6): six stores, cheaper than `set` (a builtin call) for six octets. */
export function putMac(b: Uint8Array, o: number, mac: Uint8Array): void {
  b[o] = mac[0]!;
  b[o + 1] = mac[1]!;
  b[o + 2] = mac[2]!;
  b[o + 3] = mac[3]!;
  b[o + 4] = mac[4]!;
  b[o + 5] = mac[5]!;
}

/** Compares six bytes of `b` at `o` with `mac`. */
export function macEquals(b: Uint8Array, o: number, mac: Uint8Array): boolean {
  return b[o] === mac[0] && b[o + 1] === mac[1] && b[o + 2] === mac[2] && b[o + 3] === mac[3] && b[o + 4] === mac[4] && b[o + 5] === mac[5];
}
