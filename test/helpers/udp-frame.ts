/**
 * Ethernet II / IPv4 / UDP around L2TP datagrams for tests and pcapng files, built and taken
 * apart with the wire codecs (checksums filled in).
 */
import { udpPacket, withEthernet } from '../../src/wire/packets.js';
import { parseEthernet, EtherType, ETHERNET_HEADER_LENGTH } from '../../src/wire/ethernet.js';
import { parseIpv4, IpProtocol, Ipv4Flag } from '../../src/wire/ipv4.js';
import { parseUdp } from '../../src/wire/udp.js';

export interface UdpAddr {
  mac: Uint8Array;
  ip: number;
  port: number;
}

let ipId = 1;

/** An Ethernet frame carrying IPv4 (DF) + UDP (checksummed) around `payload`. */
export function udpFrame(src: UdpAddr, dst: UdpAddr, payload: Uint8Array): Uint8Array {
  const ip = udpPacket({ src: src.ip, dst: dst.ip, identification: ipId++ & 0xffff, flags: Ipv4Flag.DF }, src.port, dst.port, payload, ETHERNET_HEADER_LENGTH);
  return withEthernet(ip, dst.mac, src.mac);
}

/** The UDP payload (a subarray) of an Ethernet/IPv4/UDP frame, or undefined when it is not one. */
export function udpPayload(frame: Uint8Array): { src: number; dst: number; srcPort: number; dstPort: number; payload: Uint8Array } | undefined {
  const e = parseEthernet(frame);
  if (!e.ok || e.value.ethertype !== EtherType.IPV4) return undefined;
  const ip = parseIpv4(e.value.payload);
  if (!ip.ok || ip.value.protocol !== IpProtocol.UDP) return undefined;
  const u = parseUdp(ip.value.payload);
  if (!u.ok) return undefined;
  return { src: ip.value.src, dst: ip.value.dst, srcPort: u.value.srcPort, dstPort: u.value.dstPort, payload: u.value.payload };
}
