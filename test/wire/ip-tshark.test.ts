/**
 * One of every IP-layer message type pseudonet emits, written to a pcapng and judged by
 * tshark with IPv4, ICMP, UDP and TCP checksum validation switched on: no malformed packet,
 * no expert warning or error.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PcapngWriter } from '../../src/wire/pcap.js';
import { ethernet, EtherType, BROADCAST_MAC } from '../../src/wire/ethernet.js';
import { arp, ArpOp, arpEthernetIpv4 } from '../../src/wire/arp.js';
import { IcmpType, TimeExceededCode, UnreachCode } from '../../src/wire/icmp.js';
import { Ipv4Flag, encodeIpv4Options } from '../../src/wire/ipv4.js';
import { TcpFlag, TcpOptionKind, encodeTcpOptions, clampMss } from '../../src/wire/tcp.js';
import { arpFrame, icmpPacket, tcpPacket, udpPacket, withEthernet } from '../../src/wire/packets.js';
import { encode } from '../../src/wire/result.js';
import { ipv4FromString as ip, macFromString as mac } from '../../src/wire/bytes.js';
import { tsharkProblems, tsharkSummary } from '../helpers/tshark.js';
import { withChecksumChecks } from '../helpers/wsconfig.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pseudonet-ip-tshark-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('tshark: one of every Ethernet/802.1Q/ARP/IPv4/ICMP/UDP/TCP message, no malformed packet and no expert warning', () => {
  const A = mac('02:00:00:00:00:0a');
  const B = mac('02:00:00:00:00:0b');
  const a = ip('192.0.2.10');
  const b = ip('198.51.100.20');
  const w = new PcapngWriter();
  const ifc = w.addInterface(1, 'eth');
  const frames: [string, Uint8Array][] = [];
  const eth = (name: string, pkt: Uint8Array): void => void frames.push([name, withEthernet(pkt, B, A)]);
  const H = 14;

  frames.push(['arp request', arpFrame(arpEthernetIpv4(ArpOp.REQUEST, A, a, new Uint8Array(6), ip('192.0.2.1')), A)]);
  frames.push(['arp reply', arpFrame(arpEthernetIpv4(ArpOp.REPLY, B, ip('192.0.2.1'), A, a), B, A)]);
  frames.push(['gratuitous arp', arpFrame(arpEthernetIpv4(ArpOp.REQUEST, A, a, new Uint8Array(6), a), A)]);
  const req = { kind: 'echo' as const, type: IcmpType.ECHO_REQUEST, code: 0, identifier: 0x1234, sequence: 1, data: new Uint8Array(56).map((_, i) => i) };
  const echoReq = icmpPacket({ src: a, dst: b, identification: 1, flags: Ipv4Flag.DF }, req, H);
  eth('echo request', echoReq);
  eth('echo reply', icmpPacket({ src: b, dst: a, identification: 2 }, { ...req, type: IcmpType.ECHO_REPLY }, H));
  const udpProbe = udpPacket({ src: a, dst: b, ttl: 1, identification: 3 }, 40000, 33434, new Uint8Array(12), H);
  eth('udp', udpProbe);
  const quote = (p: Uint8Array): Uint8Array => p.subarray(H, H + 28);
  eth('time exceeded', icmpPacket({ src: ip('192.0.2.1'), dst: a }, { kind: 'time-exceeded', code: TimeExceededCode.TTL, unused: 0, original: quote(udpProbe) }, H));
  eth('host unreachable', icmpPacket({ src: ip('192.0.2.1'), dst: a }, { kind: 'dest-unreachable', code: UnreachCode.HOST, unused: 0, nextHopMtu: 0, original: quote(udpProbe) }, H));
  eth('port unreachable', icmpPacket({ src: b, dst: a }, { kind: 'dest-unreachable', code: UnreachCode.PORT, unused: 0, nextHopMtu: 0, original: quote(udpProbe) }, H));
  eth('frag needed', icmpPacket({ src: ip('192.0.2.1'), dst: a }, { kind: 'dest-unreachable', code: UnreachCode.FRAG_NEEDED, unused: 0, nextHopMtu: 1454, original: quote(echoReq) }, H));
  eth('ipv4 with options (router alert)', udpPacket({ src: a, dst: b, options: encodeIpv4Options([{ type: 148, data: new Uint8Array(2) }]) }, 40002, 9, new Uint8Array(4), H));
  const syn = tcpPacket({ src: a, dst: b, flags: Ipv4Flag.DF }, {
    srcPort: 40001, dstPort: 80, seq: 1000, ack: 0, flags: TcpFlag.SYN, window: 64240, urgentPointer: 0,
    options: encodeTcpOptions([{ kind: TcpOptionKind.MSS, data: new Uint8Array([0x05, 0xb4]) }, { kind: TcpOptionKind.SACK_PERMITTED, data: new Uint8Array(0) }, { kind: TcpOptionKind.NOP, data: new Uint8Array(0) }, { kind: TcpOptionKind.WSCALE, data: new Uint8Array([7]) }]),
    payload: new Uint8Array(0),
  }, H);
  eth('tcp syn', syn);
  const clamped = syn.slice();
  assert.equal(clampMss(clamped, H + 20, 1414), 1460);
  eth('tcp syn, mss clamped in place', clamped);
  // 802.1Q single tag and QinQ around an IPv4 packet.
  const inner = echoReq.subarray(H);
  frames.push(['802.1q', encode(ethernet, { dst: B, src: A, tags: [{ tpid: EtherType.VLAN, tci: 0x2064 }], ethertype: EtherType.IPV4, payload: inner })]);
  frames.push(['qinq', encode(ethernet, { dst: B, src: A, tags: [{ tpid: EtherType.QINQ, tci: 10 }, { tpid: EtherType.VLAN, tci: 20 }], ethertype: EtherType.IPV4, payload: inner })]);
  frames.push(['arp in 802.1q', encode(ethernet, { dst: BROADCAST_MAC, src: A, tags: [{ tpid: EtherType.VLAN, tci: 5 }], ethertype: EtherType.ARP, payload: encode(arp, arpEthernetIpv4(ArpOp.REQUEST, A, a, new Uint8Array(6), b)) })]);

  frames.forEach(([, f], i) => w.write(ifc, 1000 + i, f));
  const file = path.join(dir, 'ip.pcapng');
  writeFileSync(file, w.bytes());
  withChecksumChecks(dir, () => {
    const summary = tsharkSummary(file);
    assert.equal(summary.length, frames.length);
    // tshark names what we meant to send.
    const expect = ['ARP', 'ARP', 'ARP', 'ICMP', 'ICMP', 'UDP', 'ICMP', 'ICMP', 'ICMP', 'ICMP', 'UDP', 'TCP', 'TCP', 'ICMP', 'ICMP', 'ARP'];
    assert.deepEqual(summary.map((s) => s.split('\t')[0]), expect, summary.join('\n'));
    assert.match(summary[2]!, /Announcement|Gratuitous/);
    assert.match(summary[9]!, /Fragmentation needed/);
    assert.match(summary[12]!, /MSS=1414/);
    assert.deepEqual(tsharkProblems(file), []);
  });
});

test('tshark: the checksum checks are really on (a corrupted TCP checksum is reported)', () => {
  const a = ip('192.0.2.10');
  const b = ip('198.51.100.20');
  const syn = tcpPacket({ src: a, dst: b }, { srcPort: 1, dstPort: 2, seq: 0, ack: 0, flags: TcpFlag.SYN, window: 1, urgentPointer: 0, options: new Uint8Array(0), payload: new Uint8Array(0) }, 14);
  syn[14 + 20 + 17]! ^= 1;
  const w = new PcapngWriter();
  w.write(w.addInterface(1, 'eth'), 0, withEthernet(syn, mac('02:00:00:00:00:0b'), mac('02:00:00:00:00:0a')));
  const file = path.join(dir, 'bad.pcapng');
  writeFileSync(file, w.bytes());
  withChecksumChecks(dir, () => {
    const problems = tsharkProblems(file);
    assert.ok(problems.some((p) => /checksum/i.test(p.message)), JSON.stringify(problems));
  });
});
