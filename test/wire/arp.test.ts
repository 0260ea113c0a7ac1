import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { arp, ArpOp, arpEthernetIpv4, isGratuitous, parseArp, type ArpPacket } from '../../src/wire/arp.js';
import { EtherType, parseEthernet } from '../../src/wire/ethernet.js';
import { fromHex, ipv4FromString, macFromString } from '../../src/wire/bytes.js';
import { encode } from '../../src/wire/result.js';
import { checkReemit, propertyRoundTrip } from '../helpers/codec.js';
import { loadLinuxIp } from '../helpers/ip-fixtures.js';

const arbArp: fc.Arbitrary<ArpPacket> = fc.integer({ min: 0, max: 16 }).chain((hln) =>
  fc.record({
    htype: fc.integer({ min: 0, max: 0xffff }),
    ptype: fc.integer({ min: 0, max: 0xffff }),
    op: fc.integer({ min: 0, max: 0xffff }),
    sha: fc.uint8Array({ minLength: hln, maxLength: hln }),
    spa: fc.integer({ min: 0, max: 0xffffffff }),
    tha: fc.uint8Array({ minLength: hln, maxLength: hln }),
    tpa: fc.integer({ min: 0, max: 0xffffffff }),
  }),
);

test('arp: parse(emit(x)) = x for any hardware length, at an offset in a 0xa5 buffer', () => {
  propertyRoundTrip(arp, arbArp, 1000);
});

test('arp: the Linux kernel\'s request, reply and gratuitous announcement parse and re-emit byte for byte', () => {
  const frames = loadLinuxIp().packets.map((p) => p.data).filter((d) => d[12] === 0x08 && d[13] === 0x06);
  assert.equal(frames.length, 3);
  const pkts = frames.map((f, i) => {
    const e = parseEthernet(f);
    assert.ok(e.ok && e.value.ethertype === EtherType.ARP);
    // 42-byte frames: the ARP packet is exactly 28 bytes, no padding (captured on the sender).
    return checkReemit(arp, e.value.payload.subarray(0, 28), `arp frame ${i}`);
  });
  const [ann, req, rep] = pkts as [ArpPacket, ArpPacket, ArpPacket];
  assert.ok(isGratuitous(ann) && ann.op === ArpOp.REQUEST && ann.spa === ipv4FromString('10.1.0.2'));
  assert.equal(req.op, ArpOp.REQUEST);
  assert.equal(req.tpa, ipv4FromString('10.1.0.1'));
  assert.deepEqual([...req.tha], [0, 0, 0, 0, 0, 0]);
  assert.equal(rep.op, ArpOp.REPLY);
  assert.deepEqual(rep.sha, macFromString('02:00:00:00:0a:01'));
  assert.equal(rep.tpa, ipv4FromString('10.1.0.2'));
  assert.ok(!isGratuitous(req) && !isGratuitous(rep));
});

test('arp: an Ethernet/IPv4 value encodes to the 28 bytes RFC 826 lays out', () => {
  const p = arpEthernetIpv4(ArpOp.REQUEST, macFromString('02:00:00:00:0a:02'), ipv4FromString('10.1.0.2'), new Uint8Array(6), ipv4FromString('10.1.0.1'));
  assert.deepEqual(encode(arp, p), fromHex('0001 0800 06 04 0001 02000000 0a02 0a010002 000000000000 0a010001'));
});

test('arp: trailing Ethernet padding is ignored', () => {
  const b = new Uint8Array(46);
  b.set(fromHex('0001080006040002020000000a010a010001020000000a020a010002'));
  const r = parseArp(b);
  assert.ok(r.ok && r.value.op === ArpOp.REPLY && r.value.tpa === ipv4FromString('10.1.0.2'));
});

test('arp: bad input gives a code and an offset', () => {
  const cases: [string, string, number][] = [
    ['', 'arp.truncated', 0],
    ['00010800060400', 'arp.truncated', 0],
    ['000108000610 0001', 'arp.unsupported-protocol-length', 5],
    ['000108000604 0001 020000000a01 0a01', 'arp.truncated', 16],
    ['00010800ff04 0001 020000000a01 0a010001 000000000000 0a010002', 'arp.truncated', 28],
  ];
  for (const [h, code, offset] of cases) {
    const r = parseArp(fromHex(h));
    assert.ok(!r.ok, h);
    assert.deepEqual({ code: r.error.code, offset: r.error.offset }, { code, offset }, h);
  }
});
