/** IP-layer codecs: parse and emit per codec, and the data-path operations (TTL decrement, MSS clamp). */
import { ethernet, parseEthernet } from '../src/wire/ethernet.js';
import { arp, parseArp, arpEthernetIpv4, ArpOp } from '../src/wire/arp.js';
import { ipv4, parseIpv4, ttlDecrement, ipv4HeaderChecksumOk } from '../src/wire/ipv4.js';
import { icmp, parseIcmp, IcmpType } from '../src/wire/icmp.js';
import { udp, parseUdp } from '../src/wire/udp.js';
import { tcp, parseTcp, clampMss, TcpFlag, encodeTcpOptions, TcpOptionKind } from '../src/wire/tcp.js';
import { icmpPacket, tcpPacket, udpPacket, withEthernet } from '../src/wire/packets.js';
import { macFromString } from '../src/wire/bytes.js';
import type { Codec, Parsed } from '../src/wire/result.js';
import type { BenchEntry } from './bench.js';

const A = macFromString('02:00:00:00:00:0a');
const B = macFromString('02:00:00:00:00:0b');
const H = 14;
const echo = withEthernet(icmpPacket({ src: 0xc000020a, dst: 0xc6336414 }, { kind: 'echo', type: IcmpType.ECHO_REQUEST, code: 0, identifier: 1, sequence: 1, data: new Uint8Array(18) }, H), B, A);
const udpPkt = udpPacket({ src: 0xc000020a, dst: 0xc6336414 }, 40000, 9, new Uint8Array(18), H);
const syn = tcpPacket({ src: 0xc000020a, dst: 0xc6336414 }, {
  srcPort: 40001, dstPort: 80, seq: 1, ack: 0, flags: TcpFlag.SYN, window: 64240, urgentPointer: 0,
  options: encodeTcpOptions([{ kind: TcpOptionKind.MSS, data: new Uint8Array([0x05, 0xb4]) }, { kind: TcpOptionKind.SACK_PERMITTED, data: new Uint8Array(0) }]), payload: new Uint8Array(0),
}, H);
const arpBytes = new Uint8Array(28);
arp.emit(arpEthernetIpv4(ArpOp.REQUEST, A, 0xc000020a, new Uint8Array(6), 0xc0000201), arpBytes, 0);

function pair<T>(name: string, codec: Codec<T>, parse: (b: Uint8Array) => Parsed<T>, bytes: Uint8Array): BenchEntry[] {
  const r = parse(bytes);
  if (!r.ok) throw new Error(`${name}: ${r.error.code}`);
  const v = r.value;
  const out = new Uint8Array(codec.encodedLength(v) + 8);
  let sink = 0;
  return [
    { name: `ip/${name} parse`, fn: () => { const x = parse(bytes); if (x.ok) sink++; } },
    { name: `ip/${name} emit`, fn: () => { sink += codec.emit(v, out, 0); } },
  ];
}

const ipBytes = echo.subarray(H);
const ttlBuf = echo.slice();
const mssBuf = syn.slice();

export default [
  ...pair('ethernet', ethernet, parseEthernet, echo),
  ...pair('arp', arp, parseArp, arpBytes),
  ...pair('ipv4', ipv4, parseIpv4, ipBytes),
  ...pair('icmp', icmp, parseIcmp, ipBytes.subarray(20)),
  ...pair('udp', udp, parseUdp, udpPkt.subarray(H + 20)),
  ...pair('tcp', tcp, parseTcp, syn.subarray(H + 20)),
  {
    name: 'ip/ipv4 ttl decrement (RFC 1624, in place)',
    ops: 1000,
    fn: () => {
      for (let i = 0; i < 1000; i++) {
        if (ttlBuf[H + 8]! <= 1) ttlBuf[H + 8] = 255; // the checksum stops verifying after the wrap; only speed is measured
        ttlDecrement(ttlBuf, H);
      }
    },
  },
  { name: 'ip/ipv4 header checksum verify', ops: 1000, fn: () => { for (let i = 0; i < 1000; i++) ipv4HeaderChecksumOk(echo, H); } },
  {
    name: 'ip/tcp mss clamp (RFC 1624, in place)',
    ops: 1000,
    fn: () => {
      for (let i = 0; i < 1000; i++) {
        mssBuf[H + 20 + 22] = 0x05; // restore 1460 so every call rewrites
        mssBuf[H + 20 + 23] = 0xb4;
        clampMss(mssBuf, H + 20, 1414);
      }
    },
  },
] satisfies BenchEntry[];
