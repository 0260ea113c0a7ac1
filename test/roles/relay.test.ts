/**
 * The relay's one PPPoE ⇄ L2TP rewrite (src/roles/framing.ts, the one the sse uses), on a real
 * call between a LAC and an LNS node: the bytes it writes are what the codecs read, the PPP
 * frame is untouched and never copied, and the way back restores the original frame.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { L2tpNode, encodeTransmit } from '../../src/proto/l2tp.js';
import { pppoeToL2tp, l2tpToPppoe, PPPOE_SESSION_HEADROOM } from '../../src/roles/framing.js';
import { l2tp } from '../../src/wire/l2tp.js';
import { pppoeSession } from '../../src/wire/pppoe.js';
import { ethernet } from '../../src/wire/ethernet.js';

function call(sequencing: boolean): { lac: L2tpNode<number>; key: number; lnsTunnel: number; lnsSession: number } {
  const lac = new L2tpNode<number>({ role: 'lac', hostName: 'sse-1' });
  const lns = new L2tpNode<string>({ role: 'lns', hostName: 'nte-a' });
  const key = lac.openSession({ lns: 0, ...(sequencing ? { call: { sequencingRequired: true } } : {}) }, 0);
  let up = false;
  let lnsTunnel = 0;
  let lnsSession = 0;
  for (let i = 0; i < 50 && !up; i++) {
    for (let t = lac.pollTransmit(); t; t = lac.pollTransmit()) lns.handle('lac', encodeTransmit(t), 0);
    for (let t = lns.pollTransmit(); t; t = lns.pollTransmit()) lac.handle(0, encodeTransmit(t), 0);
    for (let e = lac.pollEvent(); e; e = lac.pollEvent()) if (e.type === 'session-up') up = true;
    while (lns.pollEvent());
  }
  assert.ok(up, 'the call came up');
  // The ids the LNS gave itself (its tunnel, its only session): what every data message to it must carry.
  lnsTunnel = lns.tunnelInfo()[0]!.tunnelId;
  const lnsKey = lnsTunnel * 0x10000;
  for (let sid = 1; sid <= 0xffff && !lnsSession; sid++) if (lns.sessionInfo(lnsKey + sid)) lnsSession = sid;
  return { lac, key, lnsTunnel, lnsSession };
}

const HOME = Uint8Array.of(2, 0x10, 0, 0, 0, 1);
const AC = Uint8Array.of(2, 0x20, 0, 0, 0, 1);

test('PPPoE → L2TP in place: the peer ids, FF 03, the PPP frame untouched; and back to the same PPPoE frame', () => {
  const { lac, key, lnsTunnel, lnsSession } = call(false);
  // An IPCP Configure-Request in a PPPoE session frame, with room in front as a received frame has none: the rewrite grows by 2.
  const ppp = Uint8Array.of(0x80, 0x21, 0x01, 0x07, 0x00, 0x0a, 0x03, 0x06, 0xc6, 0x33, 0x64, 0x0a);
  const buf = new Uint8Array(8 + 14 + 6 + ppp.length).fill(0xa5);
  const f0 = 8;
  buf.set([...HOME, ...AC, 0x88, 0x64, 0x11, 0x00, 0x00, 0x2a, 0x00, ppp.length], f0);
  buf.set(ppp, f0 + 20);
  const original = buf.slice(f0);
  const m = pppoeToL2tp(lac, key, buf, f0 + 20, ppp.length);
  assert.ok(m);
  assert.equal(m.buffer, buf.buffer, 'the message is the same bytes, not a copy');
  const r = l2tp.parse(m);
  assert.ok(r.ok && r.value.kind === 'data');
  assert.equal(r.value.tunnelId, lnsTunnel);
  assert.equal(r.value.sessionId, lnsSession);
  assert.deepEqual([...r.value.payload], [0xff, 0x03, ...ppp]);
  // Back: the PPP frame (with FF 03) gets Ethernet + PPPoE headers in its headroom.
  const back = l2tpToPppoe(r.value.payload, 0, r.value.payload.length, HOME, AC, 0x2a);
  assert.ok(back);
  assert.ok(r.value.payload.byteOffset - 2 >= PPPOE_SESSION_HEADROOM);
  const e = ethernet.parse(back);
  assert.ok(e.ok);
  const s = pppoeSession.parse(e.value.payload);
  assert.ok(s.ok);
  assert.equal(s.value.sessionId, 0x2a);
  assert.deepEqual([...back], [...original], 'the same PPPoE frame the home sent');
});

test('a sequenced call gets Ns in the header; a call that is gone is refused', () => {
  const { lac, key } = call(true);
  const buf = new Uint8Array(64);
  buf.set([...HOME, ...AC, 0x88, 0x64, 0x11, 0x00, 0x00, 0x2a, 0x00, 0x04, 0xc0, 0x21, 0x09, 0x01], 16);
  const m = pppoeToL2tp(lac, key, buf, 36, 4);
  assert.ok(m);
  const r = l2tp.parse(m);
  assert.ok(r.ok && r.value.kind === 'data');
  assert.equal(r.value.sequence?.ns, 0, 'first data message: Ns 0 (RFC 2661 §5.4)');
  assert.equal(pppoeToL2tp(lac, key + 1, buf, 36, 4), undefined);
  const noRoom = new Uint8Array(16);
  assert.equal(l2tpToPppoe(noRoom, 2, 14, HOME, AC, 1), undefined, 'no headroom: refused, not written');
});
