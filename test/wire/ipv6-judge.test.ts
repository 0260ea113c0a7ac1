/**
 * The judgement the QEMU-lab IPv6 tests pass on their captures (test/helpers/ipv6-lab.ts
 * `judgeIpv6`) can fail: a corrupted ICMPv6 checksum inside PPPoE is reported, well-formed
 * IPV6CP and NDP are not, and frames that are not IPv6 or IPV6CP are outside its scope.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PcapngWriter } from '../../src/wire/pcap.js';
import { encode } from '../../src/wire/result.js';
import { fromHex, macFromString as mac } from '../../src/wire/bytes.js';
import { pppoeSession } from '../../src/wire/pppoe.js';
import { pppFrame, ipv6cpPacket, PppProtocol } from '../../src/wire/ppp.js';
import { ipv6FromString as ip6 } from '../../src/wire/ipv6.js';
import { icmpv6Packet, ndpPacket } from '../../src/wire/ipv6-packets.js';
import { judgeIpv6 } from '../helpers/ipv6-lab.js';
import { tsharkProblems } from '../helpers/tshark.js';
import { ethernetFrame } from '../helpers/ethernet-frame.js';
import { withChecksumChecks } from '../helpers/wsconfig.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pseudonet-ipv6-judge-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const HOME = mac('02:00:00:00:00:0a');
const AC = mac('02:00:00:00:00:0b');

const frame = (type: number, payload: Uint8Array): Uint8Array => ethernetFrame(HOME, AC, type, payload);
const inPppoe = (protocol: number, payload: Uint8Array): Uint8Array =>
  frame(0x8864, encode(pppoeSession, { sessionId: 7, payload: encode(pppFrame, { protocol, payload }) }));

test('judgeIpv6: a corrupted ICMPv6 checksum is reported; good IPV6CP and RA are not; IPv4 is out of scope', () => {
  const ll = ip6('fe80::1');
  const home = ip6('fe80::2');
  const good = [
    inPppoe(PppProtocol.IPV6CP, encode(ipv6cpPacket, { kind: 'conf-req', identifier: 1, options: [{ kind: 'interface-id', id: fromHex('0000000000000001') }] })),
    inPppoe(PppProtocol.IPV6, ndpPacket({ src: ll, dst: home }, { kind: 'ra', code: 0, checksum: 0, curHopLimit: 64, flags: 0, routerLifetime: 1800, reachableTime: 0, retransTimer: 0, options: [] })),
  ];
  const bad = icmpv6Packet({ src: ip6('2001:db8::1'), dst: ip6('2001:db8::2') }, { kind: 'echo', type: 129, code: 0, checksum: 0, identifier: 1, sequence: 1, data: new Uint8Array(8) });
  bad[40 + 2]! ^= 1;
  // An IPv4 echo with a wrong header checksum: not the IPv6 judgement's business.
  const v4 = fromHex('4500001c000000004001ffffc0000201c000020208000000000000000000');
  const w = new PcapngWriter();
  const ifc = w.addInterface(1, 'acc');
  [...good, inPppoe(PppProtocol.IPV6, bad), frame(0x0800, v4)].forEach((f, i) => w.write(ifc, 1000 + i, f));
  const file = path.join(dir, 'acc.pcapng');
  writeFileSync(file, w.bytes());
  const { problems, judged } = judgeIpv6([file], dir);
  assert.equal(judged[0]!.lines.length, 3, JSON.stringify(judged));
  assert.ok(problems.length >= 1 && problems.every((p) => p.frame === 3), JSON.stringify(problems));
  assert.ok(problems.some((p) => /checksum/i.test(p.message)), JSON.stringify(problems));
  // The whole capture has the IPv4 frame's bad checksum too (frame 4): the filter, not tshark, left it out.
  const all = withChecksumChecks(dir, () => tsharkProblems(file));
  assert.ok(all.some((p) => p.frame === 4), JSON.stringify(all));
});
