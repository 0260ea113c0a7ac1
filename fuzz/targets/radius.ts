import { radiusPacket, decodeAttributes, getAttr, splitTag, A } from '../../src/wire/radius.js';
import { decryptTunnelPassword, revealUserPassword, checkMessageAuthenticator } from '../../src/wire/radius-crypto.js';
import { ok, type Parsed } from '../../src/wire/result.js';
import { loadCapture } from '../../test/helpers/captures.js';

/** RADIUS payloads of the real FreeRADIUS capture (Ethernet + IPv4 IHL + UDP skipped). */
function seeds(): Uint8Array[] {
  return loadCapture('freeradius-chap-pap-tunnel-acct.pcap').packets.map((p) => {
    const udp = 14 + (p.data[14]! & 0x0f) * 4;
    return new Uint8Array(p.data.subarray(udp + 8));
  });
}

/** The packet codec, then everything a server does with the secret to a packet it parsed. */
function parseAndReveal(b: Uint8Array): Parsed<unknown> {
  const r = radiusPacket.parse(b);
  if (!r.ok) return r;
  const d = decodeAttributes(r.value);
  if (!d.ok) return d;
  checkMessageAuthenticator(b, 'testing123', r.value.authenticator);
  const pw = getAttr(r.value, A.USER_PASSWORD);
  if (pw) {
    const x = revealUserPassword(pw.data, 'testing123', r.value.authenticator);
    if (!x.ok) return x;
  }
  const tp = getAttr(r.value, A.TUNNEL_PASSWORD);
  if (tp) {
    const x = decryptTunnelPassword(splitTag(tp.type, tp.data).value, 'testing123', r.value.authenticator);
    if (!x.ok) return x;
  }
  return ok(d.value);
}

export default [
  { name: 'radius', parse: radiusPacket.parse, seeds },
  { name: 'radius-attributes', parse: parseAndReveal, seeds },
];
