/**
 * Frames a setup puts on the segments, by type: the default topology with N generated homes
 * (default 2,000) dialled on the virtual clock, every frame of every segment classified (PPPoE
 * discovery code, PPP protocol and code, L2TP control message type or ZLB, L2TP data by PPP
 * protocol, RADIUS code, ARP), printed per setup.
 *   node --import tsx bench/frames-per-setup.ts [N]
 */
import { homesNetwork, dialAll } from './bring-up.js';
import { u16 } from '../src/wire/bytes.js';
import { EtherType } from '../src/wire/ethernet.js';
import { Flag, L2TP_PORT, messageTypeName } from '../src/wire/l2tp.js';

const N = Number(process.argv[2] ?? 2000);
const { net, clock } = homesNetwork(N);
const counts = new Map<string, number>();
const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

/** The kind of one Ethernet frame on segment `seg`. */
function kindOf(seg: string, f: Uint8Array): string {
  const type = u16(f, 12);
  if (type === EtherType.PPPOE_DISCOVERY) return `${seg} PPPoE discovery code 0x${f[15]!.toString(16)}`;
  if (type === EtherType.PPPOE_SESSION) {
    const protocol = u16(f, 20);
    // Control protocols (0x8xxx, 0xCxxx) carry a code; network-layer data does not.
    return `${seg} PPP ${hex4(protocol)}${protocol >= 0x8000 ? ` code ${f[22]}` : ''}`;
  }
  if (type === EtherType.ARP) return `${seg} ARP`;
  if (type !== EtherType.IPV4) return `${seg} ethertype ${hex4(type)}`;
  const u = 14 + ((f[14]! & 0x0f) << 2);
  if (f[23] !== 17) return `${seg} IPv4 protocol ${f[23]}`;
  const srcPort = u16(f, u);
  const dstPort = u16(f, u + 2);
  if (srcPort !== L2TP_PORT && dstPort !== L2TP_PORT) return `${seg} UDP ${Math.min(srcPort, dstPort)} code ${f[u + 8]}`;
  const l = u + 8;
  const flags = u16(f, l);
  if (flags & Flag.T) {
    // Control: flags, length, tunnel, session, Ns, Nr (12 octets), then the Message Type AVP first.
    if (u16(f, l + 2) === 12) return `${seg} L2TP ZLB`;
    return `${seg} L2TP ${messageTypeName(u16(f, l + 12 + 6))}`;
  }
  // Data: the optional Length, Ns/Nr and Offset fields, then FF 03 and the PPP protocol.
  let p = l + 6 + (flags & Flag.L ? 2 : 0) + (flags & Flag.S ? 4 : 0);
  if (flags & Flag.O) p += 2 + u16(f, p);
  if (f[p] === 0xff && f[p + 1] === 0x03) p += 2;
  return `${seg} L2TP data PPP ${hex4(u16(f, p))}`;
}

for (const [name, s] of net.segments) {
  s.observe((f) => {
    const k = kindOf(name, f);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  });
}
const online = dialAll(net, clock);
let total = 0;
for (const [k, v] of [...counts].sort(([a], [b]) => a.localeCompare(b))) {
  total += v;
  console.log((v / N).toFixed(2).padStart(7), k);
}
console.log(`${online}/${N} online; frames per setup ${(total / N).toFixed(1)}`);
