import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ethernet, EtherType, parseEthernet, vlanId, type EthernetFrame } from '../../src/wire/ethernet.js';
import { encode } from '../../src/wire/result.js';
import { fromHex } from '../../src/wire/bytes.js';
import { checkReemit, propertyRoundTrip } from '../helpers/codec.js';
import { allEthernetFrames } from '../helpers/ip-fixtures.js';

const mac = fc.uint8Array({ minLength: 6, maxLength: 6 });
const tag = fc.record({ tpid: fc.constantFrom(EtherType.VLAN, EtherType.QINQ, EtherType.QINQ_LEGACY), tci: fc.integer({ min: 0, max: 0xffff }) });
// An EtherType that is not itself a tag (or parse would read it as one).
const type = fc.integer({ min: 0, max: 0xffff }).filter((t) => t !== 0x8100 && t !== 0x88a8 && t !== 0x9100);
const arbEthernet: fc.Arbitrary<EthernetFrame> = fc.record({
  dst: mac,
  src: mac,
  tags: fc.array(tag, { maxLength: 2 }),
  ethertype: type,
  payload: fc.uint8Array({ maxLength: 100 }),
});

test('ethernet: parse(emit(x)) = x with 0, 1 and 2 tags, at an offset in a 0xa5 buffer', () => {
  propertyRoundTrip(ethernet, arbEthernet, 1000);
});

test('ethernet: every frame of every capture re-emits byte for byte', () => {
  const frames = allEthernetFrames();
  assert.ok(frames.length > 100);
  const types = new Set<number>();
  for (const { name, data } of frames) types.add(checkReemit(ethernet, data, name).ethertype);
  for (const t of [EtherType.IPV4, EtherType.ARP, EtherType.PPPOE_DISCOVERY, EtherType.PPPOE_SESSION]) assert.ok(types.has(t), `captures hold ethertype ${t.toString(16)}`);
});

test('ethernet: one and two 802.1Q tags', () => {
  // QinQ: S-tag 0x88a8 VID 100, C-tag 0x8100 PCP 5 VID 200, then PPPoE discovery.
  const f = fromHex('ffffffffffff 020000000001 88a8 0064 8100 a0c8 8863 1109');
  const r = parseEthernet(f);
  assert.ok(r.ok);
  assert.equal(r.value.tags.length, 2);
  assert.equal(vlanId(r.value.tags[0]!), 100);
  assert.equal(vlanId(r.value.tags[1]!), 200);
  assert.equal(r.value.tags[1]!.tci >>> 13, 5);
  assert.equal(r.value.ethertype, EtherType.PPPOE_DISCOVERY);
  assert.deepEqual([...r.value.payload], [0x11, 0x09]);
  assert.deepEqual(encode(ethernet, r.value), f);
  // A third tag is not ours to read: it stays in the payload.
  const three = parseEthernet(fromHex('ffffffffffff 020000000001 88a8 0001 8100 0002 8100 0003 0800'));
  assert.ok(three.ok && three.value.tags.length === 2 && three.value.ethertype === 0x8100 && three.value.payload.length === 4);
});

test('ethernet: bad input gives a code and an offset', () => {
  const cases: [string, string, number][] = [
    ['', 'ethernet.truncated', 0],
    ['ffffffffffff020000000001', 'ethernet.truncated', 0],
    ['ffffffffffff02000000000108', 'ethernet.truncated', 0],
    ['ffffffffffff020000000001 8100 00', 'ethernet.truncated-tag', 12],
    ['ffffffffffff020000000001 8100 0001 88a8 00', 'ethernet.truncated-tag', 16],
  ];
  for (const [h, code, offset] of cases) {
    const r = parseEthernet(fromHex(h));
    assert.ok(!r.ok, h);
    assert.deepEqual({ code: r.error.code, offset: r.error.offset }, { code, offset }, h);
  }
});

test('ethernet: the payload is a subarray of the input, not a copy', () => {
  const f = fromHex('ffffffffffff0200000000010800aabbcc');
  const r = parseEthernet(f);
  assert.ok(r.ok);
  assert.equal(r.value.payload.buffer, f.buffer);
  assert.equal(r.value.payload.byteOffset, 14);
});
