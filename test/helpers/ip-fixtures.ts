/**
 * IP-layer fixtures: the real packets of ../shared/captures cut down to their Ethernet,
 * IPv4, ICMP and UDP layers, plus test/fixtures/ip/linux-ip.pcapng (real Linux kernel ARP,
 * gratuitous ARP, ICMP errors and a TCP SYN; made by make-linux-capture.sh beside it).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parseCapture, type Capture } from '../../src/wire/pcap.js';
import { loadCapture } from './captures.js';
import { u16 } from '../../src/wire/bytes.js';

export const LINUX_IP_PCAPNG = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/ip/linux-ip.pcapng');

export function loadLinuxIp(): Capture {
  const r = parseCapture(new Uint8Array(readFileSync(LINUX_IP_PCAPNG)));
  if (!r.ok) throw new Error(`linux-ip.pcapng: ${JSON.stringify(r.error)}`);
  return r.value;
}

export const CAPTURE_FILES = ['pppd-rp-pppoe-chap-ipcp-ping.pcap', 'freeradius-chap-pap-tunnel-acct.pcap', 'xl2tpd-lac-lns-chap-ipcp-ping.pcap'] as const;

/** Every Ethernet frame of every capture (shared captures and the Linux fixture), with a name for messages. */
export function allEthernetFrames(): { name: string; data: Uint8Array }[] {
  const out: { name: string; data: Uint8Array }[] = [];
  for (const f of CAPTURE_FILES) loadCapture(f).packets.forEach((p, i) => out.push({ name: `${f}#${i + 1}`, data: p.data }));
  loadLinuxIp().packets.forEach((p, i) => out.push({ name: `linux-ip.pcapng#${i + 1}`, data: p.data }));
  return out;
}

/**
 * The IPv4 packets inside the captures, exactly Total Length long: Ethernet/IPv4 frames,
 * and PPPoE session frames carrying PPP protocol 0x0021 (14 Ethernet + 6 PPPoE + 2 PPP).
 */
export function allIpv4Packets(): { name: string; data: Uint8Array }[] {
  const out: { name: string; data: Uint8Array }[] = [];
  for (const { name, data } of allEthernetFrames()) {
    const type = u16(data, 12);
    let o = -1;
    if (type === 0x0800) o = 14;
    else if (type === 0x8864 && u16(data, 20) === 0x0021) o = 22;
    if (o < 0) continue;
    out.push({ name, data: data.subarray(o, o + u16(data, o + 2)) });
  }
  return out;
}
