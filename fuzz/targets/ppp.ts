/** PPPoE, PPP frame, LCP/IPCP/IPV6CP/CCP, CHAP and PAP decoders, seeded with the real frames of the pppd and xl2tpd captures. */
import { pppoeDiscovery, pppoeSession, PppoeSessionView } from '../../src/wire/pppoe.js';
import { pppFrame, lcpPacket, ipcpPacket, ipv6cpPacket, ccpPacket, PppProtocol } from '../../src/wire/ppp.js';
import { chapPacket } from '../../src/wire/chap.js';
import { papPacket } from '../../src/wire/pap.js';
import { encode, ok } from '../../src/wire/result.js';
import { textBytes } from '../../src/wire/bytes.js';
import { pppoeFrames, l2tpPppFrames } from '../../test/helpers/ppp-captures.js';
import type { FuzzTarget } from '../target.js';

/** Information fields of every real PPP frame of `protocol`. */
function payloads(protocol: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  const frames = [
    ...pppoeFrames().filter((f) => f.ethertype === 0x8864).map((f) => f.pppoe.subarray(6)),
    ...l2tpPppFrames().map((f) => f.ppp),
  ];
  for (const b of frames) {
    const f = pppFrame.parse(b);
    if (f.ok && f.value.protocol === protocol) out.push(f.value.payload);
  }
  return out;
}

export default [
  { name: 'pppoe-discovery', parse: pppoeDiscovery.parse, seeds: () => pppoeFrames().filter((f) => f.ethertype === 0x8863).map((f) => f.pppoe) },
  { name: 'pppoe-session', parse: pppoeSession.parse, seeds: () => pppoeFrames().filter((f) => f.ethertype === 0x8864).map((f) => f.pppoe) },
  {
    name: 'pppoe-session-view',
    parse: (b) => {
      const v = PppoeSessionView.check(b, 0);
      return v instanceof PppoeSessionView ? ok({ id: v.sessionId, p: v.payload.length, proto: v.protocol }) : { ok: false, error: v };
    },
    seeds: () => pppoeFrames().filter((f) => f.ethertype === 0x8864).map((f) => f.pppoe),
  },
  { name: 'ppp-frame', parse: pppFrame.parse, seeds: () => [...pppoeFrames().filter((f) => f.ethertype === 0x8864).map((f) => f.pppoe.subarray(6)), ...l2tpPppFrames().map((f) => f.ppp)] },
  { name: 'ppp-lcp', parse: lcpPacket.parse, seeds: () => payloads(PppProtocol.LCP) },
  { name: 'ppp-ipcp', parse: ipcpPacket.parse, seeds: () => payloads(PppProtocol.IPCP) },
  { name: 'ppp-ipv6cp', parse: ipv6cpPacket.parse, seeds: () => payloads(PppProtocol.IPV6CP) },
  { name: 'ppp-ccp', parse: ccpPacket.parse, seeds: () => payloads(PppProtocol.CCP) },
  { name: 'ppp-chap', parse: chapPacket.parse, seeds: () => payloads(PppProtocol.CHAP) },
  {
    name: 'ppp-pap',
    parse: papPacket.parse,
    // Neither capture has PAP: seeds are our own, shaped like pppd's (Ack with an empty message).
    seeds: () => [
      encode(papPacket, { kind: 'auth-req', identifier: 1, peerId: textBytes('user@isp.example'), password: textBytes('secret') }),
      encode(papPacket, { kind: 'auth-ack', identifier: 1, message: new Uint8Array(0) }),
      encode(papPacket, { kind: 'auth-nak', identifier: 1, message: textBytes('Login incorrect') }),
    ],
  },
] satisfies FuzzTarget[];
