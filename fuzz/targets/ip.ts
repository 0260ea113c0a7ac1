/** The IP-layer decoders, seeded with real packets from the captures and the Linux fixture. */
import { parseEthernet } from '../../src/wire/ethernet.js';
import { parseArp } from '../../src/wire/arp.js';
import { parseIpv4, parseIpv4Options, IpProtocol } from '../../src/wire/ipv4.js';
import { parseIcmp, parseQuotedIpv4 } from '../../src/wire/icmp.js';
import { parseUdp } from '../../src/wire/udp.js';
import { parseTcp, parseTcpOptions } from '../../src/wire/tcp.js';
import { ok, type Parsed } from '../../src/wire/result.js';
import { allEthernetFrames, allIpv4Packets } from '../../test/helpers/ip-fixtures.js';
import type { FuzzTarget } from '../target.js';

const frames = (): Uint8Array[] => allEthernetFrames().map((f) => f.data);
const ipPackets = (): Uint8Array[] => allIpv4Packets().map((p) => p.data);
function payloads(protocol: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const b of ipPackets()) {
    const r = parseIpv4(b);
    if (r.ok && r.value.protocol === protocol) out.push(r.value.payload);
  }
  return out;
}
function arps(): Uint8Array[] {
  return frames().filter((f) => f[12] === 0x08 && f[13] === 0x06).map((f) => f.subarray(14));
}
function tcpOptions(): Uint8Array[] {
  return payloads(IpProtocol.TCP).map((t) => t.subarray(20, (t[12]! >>> 4) * 4)).filter((o) => o.length > 0);
}
/** An ICMP error and the quoted datagram inside it, parsed together. */
function parseIcmpDeep(b: Uint8Array): Parsed<unknown> {
  const r = parseIcmp(b);
  if (!r.ok || r.value.kind === 'echo' || r.value.kind === 'other') return r;
  const q = parseQuotedIpv4(r.value.original);
  return q.ok ? ok([r.value, q.value]) : q;
}
/** A whole Ethernet/IPv4 frame, every layer, as the router reads it. */
function parseStack(b: Uint8Array): Parsed<unknown> {
  const e = parseEthernet(b);
  if (!e.ok) return e;
  if (e.value.ethertype === 0x0806) return parseArp(e.value.payload);
  if (e.value.ethertype !== 0x0800) return e;
  const ip = parseIpv4(e.value.payload);
  if (!ip.ok) return ip;
  const o = parseIpv4Options(ip.value.options);
  if (!o.ok) return o;
  switch (ip.value.protocol) {
    case IpProtocol.ICMP: return parseIcmpDeep(ip.value.payload);
    case IpProtocol.UDP: return parseUdp(ip.value.payload);
    case IpProtocol.TCP: {
      const t = parseTcp(ip.value.payload);
      return t.ok ? parseTcpOptions(t.value.options) : t;
    }
    default: return ip;
  }
}

export default [
  { name: 'ethernet', parse: parseEthernet, seeds: frames },
  { name: 'arp', parse: parseArp, seeds: arps },
  { name: 'ipv4', parse: parseIpv4, seeds: ipPackets },
  { name: 'ipv4-options', parse: parseIpv4Options, seeds: () => [new Uint8Array([7, 11, 4, 10, 0, 0, 1, 0, 0, 0, 0, 1, 148, 4, 0, 0, 0, 0, 0, 0]), new Uint8Array([1, 1, 1, 0])] },
  { name: 'icmp', parse: parseIcmpDeep, seeds: () => payloads(IpProtocol.ICMP) },
  { name: 'udp', parse: parseUdp, seeds: () => payloads(IpProtocol.UDP) },
  { name: 'tcp', parse: parseTcp, seeds: () => payloads(IpProtocol.TCP) },
  { name: 'tcp-options', parse: parseTcpOptions, seeds: tcpOptions },
  { name: 'ip-stack', parse: parseStack, seeds: frames },
] satisfies FuzzTarget[];
