/**
 * One of every IPv6, ICMPv6, NDP, DHCPv6 and IPV6CP message our codecs emit, written to a
 * pcapng (IPv6 in Ethernet, and in PPPoE/PPP as a subscriber link carries it; IPV6CP in
 * PPPoE) and judged by tshark with checksum validation on: no malformed packet, no expert
 * warning or error. A second test proves the checks are on (corrupted checksums show).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PcapngWriter } from '../../src/wire/pcap.js';
import { encode } from '../../src/wire/result.js';
import { fromHex, macFromString as mac, textBytes } from '../../src/wire/bytes.js';
import { pppoeSession } from '../../src/wire/pppoe.js';
import { pppFrame, ipv6cpPacket, PppProtocol, type Ipv6cpPacket } from '../../src/wire/ppp.js';
import { ipv6FromString as ip6, solicitedNodeAddress, linkLocalAddress } from '../../src/wire/ipv6.js';
import { Icmpv6Type, Icmpv6UnreachCode, Icmpv6TimeExceededCode, Icmpv6ParamProblemCode } from '../../src/wire/icmpv6.js';
import { lla, NaFlag, PrefixFlag, RaFlag, NDP_INFINITY } from '../../src/wire/ndp.js';
import { dhcpv6, duidLl, Dhcpv6MessageType as T, Dhcpv6Status, DHCPV6_CLIENT_PORT, DHCPV6_SERVER_PORT, type Dhcpv6Option } from '../../src/wire/dhcpv6.js';
import { icmpv6Packet, ndpPacket, udp6Packet } from '../../src/wire/ipv6-packets.js';
import { tsharkProblems, tsharkSummary } from '../helpers/tshark.js';
import { ethernetFrame } from '../helpers/ethernet-frame.js';
import { withChecksumChecks } from '../helpers/wsconfig.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pseudonet-ipv6-tshark-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const HOME = mac('02:00:00:00:00:0a');
const NTE = mac('02:00:00:00:00:0b');
const ETHERTYPE_IPV6 = 0x86dd;
const homeLl = linkLocalAddress(fromHex('759397b329ab2448'));
const nteLl = ip6('fe80::1');
const wan = ip6('2001:db8:ffff::1000');
const server = ip6('2001:db8::80');
const allNodes = ip6('ff02::1');
const allRouters = ip6('ff02::2');
const dhcpServers = ip6('ff02::1:2');

const withEthernet = (payload: Uint8Array, dst: Uint8Array, src: Uint8Array, type: number): Uint8Array => ethernetFrame(dst, src, type, payload);

/** An IPv6 packet in a PPPoE session frame (RFC 2516 §7, PPP protocol 0x0057). */
function pppoe(dst: Uint8Array, src: Uint8Array, protocol: number, payload: Uint8Array): Uint8Array {
  const s = encode(pppoeSession, { sessionId: 0x1234, payload: encode(pppFrame, { protocol, payload }) });
  return withEthernet(s, dst, src, 0x8864);
}

function build(): { frames: [string, Uint8Array][]; expect: string[] } {
  const frames: [string, Uint8Array][] = [];
  const expect: string[] = [];
  const eth = (name: string, pkt: Uint8Array, proto: string, dst = NTE, src = HOME): void => {
    frames.push([name, withEthernet(pkt, dst, src, ETHERTYPE_IPV6)]);
    expect.push(proto);
  };
  const ppp6 = (name: string, pkt: Uint8Array, proto: string, fromHome = true): void => {
    frames.push([name, fromHome ? pppoe(NTE, HOME, PppProtocol.IPV6, pkt) : pppoe(HOME, NTE, PppProtocol.IPV6, pkt)]);
    expect.push(proto);
  };

  // IPV6CP over PPPoE.
  const cp = (p: Ipv6cpPacket, fromHome: boolean): void => {
    frames.push([`IPV6CP ${p.kind}`, fromHome ? pppoe(NTE, HOME, PppProtocol.IPV6CP, encode(ipv6cpPacket, p)) : pppoe(HOME, NTE, PppProtocol.IPV6CP, encode(ipv6cpPacket, p))]);
    expect.push('PPP IPV6CP');
  };
  const iid = (h: string) => ({ kind: 'interface-id' as const, id: fromHex(h) });
  cp({ kind: 'conf-req', identifier: 1, options: [iid('0000000000000000')] }, true);
  cp({ kind: 'conf-nak', identifier: 1, options: [iid('759397b329ab2448')] }, false);
  cp({ kind: 'conf-req', identifier: 2, options: [iid('759397b329ab2448'), { kind: 'raw', type: 2, data: fromHex('1234') }] }, true);
  cp({ kind: 'conf-rej', identifier: 2, options: [{ kind: 'raw', type: 2, data: fromHex('1234') }] }, false);
  cp({ kind: 'conf-req', identifier: 1, options: [iid('0000000000000001')] }, false);
  cp({ kind: 'conf-ack', identifier: 1, options: [iid('0000000000000001')] }, true);
  cp({ kind: 'term-req', identifier: 3, data: textBytes('User request') }, true);
  cp({ kind: 'term-ack', identifier: 3, data: new Uint8Array(0) }, false);
  cp({ kind: 'code-rej', identifier: 4, rejected: fromHex('0e010004') }, false);

  // NDP on the PPP link (no link-layer address options there, RFC 5072 §5) and on Ethernet.
  ppp6('RS over PPP', ndpPacket({ src: homeLl, dst: allRouters }, { kind: 'rs', code: 0, checksum: 0, reserved: 0, options: [] }), 'ICMPv6');
  const ra = { kind: 'ra' as const, code: 0, checksum: 0, curHopLimit: 64, flags: RaFlag.MANAGED | RaFlag.OTHER, routerLifetime: 1800, reachableTime: 0, retransTimer: 0 };
  const prefix = { kind: 'prefix' as const, prefixLength: 64, flags: PrefixFlag.ON_LINK | PrefixFlag.AUTONOMOUS, validLifetime: 2592000, preferredLifetime: 604800, reserved: 0, prefix: ip6('2001:db8:ffff::') };
  const rdnss = { kind: 'rdnss' as const, reserved: 0, lifetime: 3600, servers: [ip6('2001:db8::53'), ip6('2001:db8::54')] };
  ppp6('RA over PPP', ndpPacket({ src: nteLl, dst: allNodes }, { ...ra, options: [prefix, { kind: 'mtu', reserved: 0, mtu: 1492 }, rdnss] }), 'ICMPv6', false);
  eth('RS', ndpPacket({ src: homeLl, dst: allRouters }, { kind: 'rs', code: 0, checksum: 0, reserved: 0, options: [lla('source-lla', HOME)] }), 'ICMPv6', mac('33:33:00:00:00:02'));
  eth('RA', ndpPacket({ src: nteLl, dst: allNodes }, { ...ra, routerLifetime: 0, options: [lla('source-lla', NTE), prefix, { ...prefix, prefixLength: 48, flags: PrefixFlag.ON_LINK, validLifetime: NDP_INFINITY, preferredLifetime: NDP_INFINITY, prefix: ip6('2001:db8:1::') }, { kind: 'mtu', reserved: 0, mtu: 1500 }, rdnss] }), 'ICMPv6', mac('33:33:00:00:00:01'), NTE);
  eth('NS', ndpPacket({ src: homeLl, dst: solicitedNodeAddress(nteLl) }, { kind: 'ns', code: 0, checksum: 0, reserved: 0, target: nteLl, options: [lla('source-lla', HOME)] }), 'ICMPv6', mac('33:33:ff:00:00:01'));
  eth('NS (DAD)', ndpPacket({ src: new Uint8Array(16), dst: solicitedNodeAddress(wan) }, { kind: 'ns', code: 0, checksum: 0, reserved: 0, target: wan, options: [] }), 'ICMPv6', mac('33:33:ff:00:10:00'));
  eth('NA', ndpPacket({ src: nteLl, dst: homeLl }, { kind: 'na', code: 0, checksum: 0, flags: (NaFlag.ROUTER | NaFlag.SOLICITED | NaFlag.OVERRIDE) >>> 0, target: nteLl, options: [lla('target-lla', NTE)] }), 'ICMPv6', HOME, NTE);
  // Redirect (opaque body): reserved, target fe80::2, destination 2001:db8::80, Target Link-Layer Address.
  const redirectBody = new Uint8Array(4 + 32 + 8);
  redirectBody.set(ip6('fe80::2'), 4);
  redirectBody.set(server, 20);
  redirectBody.set([2, 1, ...mac('02:00:00:00:00:0c')], 36);
  eth('redirect', ndpPacket({ src: nteLl, dst: homeLl }, { kind: 'redirect', code: 0, checksum: 0, body: redirectBody }), 'ICMPv6', HOME, NTE);

  // ICMPv6 (RFC 4443).
  const echo = { kind: 'echo' as const, type: Icmpv6Type.ECHO_REQUEST, code: 0, checksum: 0, identifier: 0x00cd, sequence: 1, data: new Uint8Array(56).map((_, i) => i) };
  const req = icmpv6Packet({ src: wan, dst: server }, echo);
  ppp6('echo request over PPP', req, 'ICMPv6');
  ppp6('echo reply over PPP', icmpv6Packet({ src: server, dst: wan }, { ...echo, type: Icmpv6Type.ECHO_REPLY }), 'ICMPv6', false);
  eth('echo request', req, 'ICMPv6');
  const probe = udp6Packet({ src: wan, dst: server, hopLimit: 1 }, 40000, 33434, new Uint8Array(12));
  const router = ip6('2001:db8:ffff::1');
  eth('dest unreachable (no route)', icmpv6Packet({ src: router, dst: wan }, { kind: 'dest-unreachable', code: Icmpv6UnreachCode.NO_ROUTE, checksum: 0, unused: 0, original: probe }), 'ICMPv6', HOME, NTE);
  eth('dest unreachable (port)', icmpv6Packet({ src: server, dst: wan }, { kind: 'dest-unreachable', code: Icmpv6UnreachCode.PORT, checksum: 0, unused: 0, original: probe }), 'ICMPv6', HOME, NTE);
  eth('packet too big', icmpv6Packet({ src: router, dst: wan }, { kind: 'packet-too-big', code: 0, checksum: 0, mtu: 1492, original: req }), 'ICMPv6', HOME, NTE);
  eth('time exceeded', icmpv6Packet({ src: router, dst: wan }, { kind: 'time-exceeded', code: Icmpv6TimeExceededCode.HOP_LIMIT, checksum: 0, unused: 0, original: probe }), 'ICMPv6', HOME, NTE);
  eth('parameter problem', icmpv6Packet({ src: router, dst: wan }, { kind: 'parameter-problem', code: Icmpv6ParamProblemCode.NEXT_HEADER, checksum: 0, pointer: 6, original: probe }), 'ICMPv6', HOME, NTE);
  eth('udp', probe, 'UDP');

  // Extension headers: hop-by-hop (Router Alert, RFC 2711) and destination options (PadN) before UDP; an atomic fragment before ICMPv6.
  eth('hop-by-hop + destination options + udp', udp6Packet({
    src: wan, dst: server, extensions: [
      { kind: 'hop-by-hop', nextHeader: 0, options: [{ type: 5, data: fromHex('0000') }, { type: 1, data: new Uint8Array(0) }] },
      { kind: 'destination', nextHeader: 0, options: [{ type: 1, data: new Uint8Array(4) }] },
    ],
  }, 40001, 9, new Uint8Array(8)), 'UDP');
  eth('fragment header (atomic) + echo', icmpv6Packet({ src: wan, dst: server, extensions: [{ kind: 'fragment', nextHeader: 0, reserved: 0, fragmentOffset: 0, res: 0, more: false, identification: 0x12345678 }] }, echo), 'ICMPv6');

  // DHCPv6 (RFC 8415), every client/server message type, over UDP 546/547.
  const client = { kind: 'client-id' as const, duid: duidLl(HOME) };
  const srv = { kind: 'server-id' as const, duid: { kind: 'llt' as const, hardwareType: 1, time: 0x32a19153, linkLayer: NTE } };
  const ianaHint: Dhcpv6Option = { kind: 'ia-na', iaid: 1, t1: 0, t2: 0, options: [] };
  const iapdHint: Dhcpv6Option = { kind: 'ia-pd', iaid: 2, t1: 0, t2: 0, options: [{ kind: 'ia-prefix', preferredLifetime: 0, validLifetime: 0, prefixLength: 56, prefix: new Uint8Array(16), options: [] }] };
  const iana: Dhcpv6Option = { kind: 'ia-na', iaid: 1, t1: 1800, t2: 2880, options: [{ kind: 'ia-address', address: wan, preferredLifetime: 3600, validLifetime: 7200, options: [] }, { kind: 'status', status: Dhcpv6Status.SUCCESS, message: textBytes('ok') }] };
  const iapd: Dhcpv6Option = { kind: 'ia-pd', iaid: 2, t1: 1800, t2: 2880, options: [{ kind: 'ia-prefix', preferredLifetime: 3600, validLifetime: 7200, prefixLength: 56, prefix: ip6('2001:db8:100::'), options: [] }] };
  const dns: Dhcpv6Option = { kind: 'dns-servers', servers: [ip6('2001:db8::53')] };
  const oro: Dhcpv6Option = { kind: 'oro', codes: [23, 24] };
  const elapsed: Dhcpv6Option = { kind: 'elapsed-time', value: 0 };
  const toServer = (name: string, msgType: number, options: Dhcpv6Option[]): void =>
    eth(`DHCPv6 ${name}`, udp6Packet({ src: homeLl, dst: dhcpServers, hopLimit: 1 }, DHCPV6_CLIENT_PORT, DHCPV6_SERVER_PORT, encode(dhcpv6, { kind: 'message', msgType, transactionId: 0x8cca8b, options })), 'DHCPv6', mac('33:33:00:01:00:02'));
  const toClient = (name: string, msgType: number, options: Dhcpv6Option[]): void =>
    eth(`DHCPv6 ${name}`, udp6Packet({ src: nteLl, dst: homeLl }, DHCPV6_SERVER_PORT, DHCPV6_CLIENT_PORT, encode(dhcpv6, { kind: 'message', msgType, transactionId: 0x8cca8b, options })), 'DHCPv6', HOME, NTE);
  toServer('Solicit', T.SOLICIT, [client, ianaHint, iapdHint, oro, elapsed, { kind: 'rapid-commit' }]);
  toClient('Advertise', T.ADVERTISE, [srv, client, iana, iapd, dns, { kind: 'preference', value: 255 }]);
  toServer('Request', T.REQUEST, [client, srv, iana, iapd, oro, elapsed]);
  toClient('Reply', T.REPLY, [srv, client, iana, iapd, dns]);
  toClient('Reply (rapid commit, no prefix)', T.REPLY, [srv, client, { kind: 'rapid-commit' }, { kind: 'ia-pd', iaid: 2, t1: 0, t2: 0, options: [{ kind: 'status', status: Dhcpv6Status.NO_PREFIX_AVAIL, message: textBytes('no prefixes') }] }]);
  toServer('Confirm', T.CONFIRM, [client, iana, elapsed]);
  toServer('Renew', T.RENEW, [client, srv, iana, iapd, elapsed]);
  toServer('Rebind', T.REBIND, [client, iana, iapd, elapsed]);
  toServer('Release', T.RELEASE, [client, srv, iana, iapd, elapsed]);
  toServer('Decline', T.DECLINE, [client, srv, iana, elapsed]);
  toServer('Information-request', T.INFORMATION_REQUEST, [{ kind: 'client-id', duid: { kind: 'en', enterprise: 3561, identifier: fromHex('0102030405') } }, oro, elapsed]);
  // Reconfigure (§18.2.11): the server id, the client id and a Reconfigure Message option (19, opaque here) saying Renew.
  toClient('Reconfigure', T.RECONFIGURE, [srv, { kind: 'client-id', duid: { kind: 'uuid', uuid: fromHex('00112233445566778899aabbccddeeff') } }, { kind: 'raw', code: 19, data: fromHex('05') }]);
  return { frames, expect };
}

test('tshark: every IPV6CP packet, NDP message, ICMPv6 type, extension header and DHCPv6 message we emit dissects cleanly, checksums checked', () => {
  const { frames, expect } = build();
  const w = new PcapngWriter();
  const ifc = w.addInterface(1, 'home-sse');
  frames.forEach(([, f], i) => w.write(ifc, 1000 + i, f));
  const file = path.join(dir, 'ipv6.pcapng');
  writeFileSync(file, w.bytes());
  withChecksumChecks(dir, () => {
    const summary = tsharkSummary(file);
    assert.equal(summary.length, frames.length);
    const got = summary.map((s) => s.split('\t')[0]);
    assert.deepEqual(got, expect, summary.map((s, i) => `${frames[i]![0]}: ${s}`).join('\n'));
    const info = (name: string): string => summary[frames.findIndex(([n]) => n === name)]!;
    // tshark names what we meant to send.
    assert.match(info('RA over PPP'), /Router Advertisement/);
    assert.match(info('NS'), /Neighbor Solicitation for fe80::1/);
    assert.match(info('redirect'), /Redirect/);
    assert.match(info('packet too big'), /Packet Too Big/);
    assert.match(info('parameter problem'), /Parameter Problem/);
    assert.match(info('DHCPv6 Reconfigure'), /Reconfigure/);
    assert.match(info('DHCPv6 Information-request'), /Information-request/);
    assert.match(info('IPV6CP conf-nak'), /Configuration Nak/);
    const problems = tsharkProblems(file).map((p) => ({ frame: frames[p.frame - 1]![0], severity: p.severity, message: p.message }));
    assert.deepEqual(problems, []);
  });
});

test('tshark: the checks are really on (a corrupted ICMPv6 and a corrupted UDP-over-IPv6 checksum are reported)', () => {
  const bad = icmpv6Packet({ src: wan, dst: server }, { kind: 'echo', type: 128, code: 0, checksum: 0, identifier: 1, sequence: 1, data: new Uint8Array(8) });
  bad[40 + 2]! ^= 1;
  const badUdp = udp6Packet({ src: wan, dst: server }, 1, 2, new Uint8Array(4));
  badUdp[40 + 6]! ^= 1;
  const w = new PcapngWriter();
  const ifc = w.addInterface(1, 'eth');
  w.write(ifc, 0, withEthernet(bad, NTE, HOME, ETHERTYPE_IPV6));
  w.write(ifc, 1, withEthernet(badUdp, NTE, HOME, ETHERTYPE_IPV6));
  const file = path.join(dir, 'bad.pcapng');
  writeFileSync(file, w.bytes());
  withChecksumChecks(dir, () => {
    const problems = tsharkProblems(file);
    assert.ok(problems.some((p) => p.frame === 1 && /checksum/i.test(p.message)), JSON.stringify(problems));
    assert.ok(problems.some((p) => p.frame === 2 && /checksum/i.test(p.message)), JSON.stringify(problems));
  });
});
