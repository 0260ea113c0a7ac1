import { radiusPacket } from '../src/wire/radius.js';
import { signPacket, checkMessageAuthenticator, verifyResponseAuthenticator } from '../src/wire/radius-crypto.js';
import { loadCapture } from '../test/helpers/captures.js';
import type { BenchEntry } from './bench.js';

const pkts = loadCapture('freeradius-chap-pap-tunnel-acct.pcap').packets.map((p) => {
  const udp = 14 + (p.data[14]! & 0x0f) * 4;
  return new Uint8Array(p.data.subarray(udp + 8));
});
const chapRequest = pkts[0]!;
const tunnelAccept = pkts[7]!;
const tunnelReqAuth = pkts[6]!.subarray(4, 20);
const parsedReq = radiusPacket.parse(chapRequest);
if (!parsedReq.ok) throw new Error('seed does not parse');
const out = new Uint8Array(4096);
const signBuf = new Uint8Array(tunnelAccept);

export default [
  { name: 'radius parse Access-Request (CHAP, 9 attributes)', fn: () => void radiusPacket.parse(chapRequest) },
  { name: 'radius parse Access-Accept (5 tagged Tunnel-*)', fn: () => void radiusPacket.parse(tunnelAccept) },
  { name: 'radius emit Access-Request (CHAP, 9 attributes)', fn: () => void radiusPacket.emit(parsedReq.value, out, 0) },
  { name: 'radius Message-Authenticator check (HMAC-MD5)', fn: () => void checkMessageAuthenticator(chapRequest, 'testing123') },
  { name: 'radius Response Authenticator check (MD5)', fn: () => void verifyResponseAuthenticator(tunnelAccept, 'testing123', tunnelReqAuth) },
  { name: 'radius sign response (Response Authenticator)', fn: () => signPacket(signBuf, 'testing123', tunnelReqAuth) },
] satisfies BenchEntry[];
