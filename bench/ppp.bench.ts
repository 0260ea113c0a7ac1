/** PPPoE / PPP / CHAP / PAP codec benchmarks (bench/run.ts): parse and emit of real frames. Names start with "ppp". */
import { pppoeDiscovery, pppoeSession, PppoeSessionView } from '../src/wire/pppoe.js';
import { pppFrame, lcpPacket, ipcpPacket, PppProtocol } from '../src/wire/ppp.js';
import { chapPacket, chapMd5Response } from '../src/wire/chap.js';
import { papPacket } from '../src/wire/pap.js';
import { encode, type Codec } from '../src/wire/result.js';
import { textBytes } from '../src/wire/bytes.js';
import { pppoeFrames } from '../test/helpers/ppp-captures.js';
import type { BenchEntry } from './bench.js';

const frames = pppoeFrames();
const byFrame = (n: number): Uint8Array => frames.find((f) => f.frame === n)!.pppoe;
const info = (n: number): Uint8Array => byFrame(n).subarray(8); // after the PPPoE header and the protocol field
const out = new Uint8Array(2048);
let sink = 0;

function pair<T>(name: string, codec: Codec<T>, bytes: Uint8Array): BenchEntry[] {
  const r = codec.parse(bytes);
  if (!r.ok) throw new Error(`${name}: ${r.error.code}`);
  const v = r.value;
  return [
    { name: `ppp codec ${name} parse`, fn: () => { const x = codec.parse(bytes); sink += x.ok ? 1 : 0; } },
    { name: `ppp codec ${name} emit`, fn: () => { sink += codec.emit(v, out, 0); } },
  ];
}

const pap = encode(papPacket, { kind: 'auth-req', identifier: 1, peerId: textBytes('user@isp.example'), password: textBytes('secret') });
const challenge = new Uint8Array(16).fill(7);
const secret = textBytes('secret');
const icmp = byFrame(37);

export default [
  ...pair('PADO (4 tags)', pppoeDiscovery, byFrame(2)),
  ...pair('PADR', pppoeDiscovery, byFrame(3)),
  ...pair('session header', pppoeSession, byFrame(5)),
  ...pair('PPP frame', pppFrame, byFrame(5).subarray(6)),
  ...pair('LCP Configure-Request (3 options)', lcpPacket, info(6)),
  ...pair('LCP Echo-Request', lcpPacket, info(10)),
  ...pair('IPCP Configure-Nak', ipcpPacket, info(22)),
  ...pair('CHAP Challenge', chapPacket, info(11)),
  ...pair('CHAP Response', chapPacket, info(15)),
  ...pair('PAP Authenticate-Request', papPacket, pap),
  {
    name: 'ppp codec session view check + rewrite id (data path)',
    fn: () => {
      const v = PppoeSessionView.check(icmp, 0);
      if (v instanceof PppoeSessionView) {
        v.sessionId = v.sessionId;
        sink += v.protocol === PppProtocol.IPV4 ? 1 : 0;
      }
    },
  },
  { name: 'ppp codec CHAP-MD5 response computation', fn: () => { sink += chapMd5Response(1, secret, challenge)[0]!; } },
] satisfies BenchEntry[];

process.on('exit', () => {
  if (sink === -1) console.log(sink);
});
