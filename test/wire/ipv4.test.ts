import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  emitIpv4Header, encodeIpv4Options, fragmentIpv4, ipv4, ipv4HeaderChecksumOk, IpProtocol, Ipv4Flag, Ipv4OptionType, parseCidr, parseIpv4,
  parseIpv4Options, prefixMask, ttlDecrement, type Ipv4Packet,
} from '../../src/wire/ipv4.js';
import { internetChecksum } from '../../src/wire/checksum.js';
import { fromHex, ipv4FromString, u16 } from '../../src/wire/bytes.js';
import { encode } from '../../src/wire/result.js';
import { checkReemit, checkRoundTrip, plain } from '../helpers/codec.js';
import { allIpv4Packets } from '../helpers/ip-fixtures.js';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const arbIpv4: fc.Arbitrary<Ipv4Packet> = fc.record({
  dscp: fc.integer({ min: 0, max: 63 }),
  ecn: fc.integer({ min: 0, max: 3 }),
  identification: fc.integer({ min: 0, max: 0xffff }),
  flags: fc.integer({ min: 0, max: 7 }),
  fragmentOffset: fc.integer({ min: 0, max: 0x1fff }),
  ttl: fc.integer({ min: 0, max: 255 }),
  protocol: fc.integer({ min: 0, max: 255 }),
  src: u32,
  dst: u32,
  options: fc.integer({ min: 0, max: 10 }).chain((n) => fc.uint8Array({ minLength: 4 * n, maxLength: 4 * n })),
  payload: fc.uint8Array({ maxLength: 200 }),
});
const noChecksum = (v: Ipv4Packet): unknown => plain({ ...v, checksum: undefined });

test('ipv4: parse(emit(x)) = x with options, at an offset in a 0xa5 buffer; the emitted header checksum verifies', () => {
  fc.assert(
    fc.property(arbIpv4, (p) => {
      const bytes = checkRoundTrip(ipv4, p, noChecksum);
      assert.ok(ipv4HeaderChecksumOk(bytes));
    }),
    { numRuns: 1000 },
  );
});

test('ipv4: every IPv4 packet in the captures (Ethernet and PPPoE) re-emits byte for byte and its checksum verifies', () => {
  const pkts = allIpv4Packets();
  assert.ok(pkts.length >= 40, `found ${pkts.length}`);
  const protocols = new Set<number>();
  for (const { name, data } of pkts) {
    const p = checkReemit(ipv4, data, name);
    protocols.add(p.protocol);
    assert.ok(ipv4HeaderChecksumOk(data), `${name}: header checksum`);
  }
  assert.deepEqual([...protocols].sort((a, b) => a - b), [IpProtocol.ICMP, IpProtocol.TCP, IpProtocol.UDP]);
});

test('ipv4: a real header from the pppd capture reads as Wireshark shows it', () => {
  const r = parseIpv4(fromHex('45000054486d40004001de390a0000020a000001').slice());
  // Total length 0x54 but only the header given: truncated at the Total Length field.
  assert.ok(!r.ok && r.error.code === 'ipv4.truncated' && r.error.offset === 2);
  const b = new Uint8Array(0x54);
  b.set(fromHex('45000054486d40004001de390a0000020a000001'));
  const ok = parseIpv4(b);
  assert.ok(ok.ok);
  assert.equal(ok.value.identification, 0x486d);
  assert.equal(ok.value.flags, Ipv4Flag.DF);
  assert.equal(ok.value.ttl, 64);
  assert.equal(ok.value.src, ipv4FromString('10.0.0.2'));
  assert.equal(ok.value.dst, ipv4FromString('10.0.0.1'));
  assert.equal(ok.value.payload.length, 0x54 - 20);
});

test('ipv4: trailing link padding is not payload', () => {
  const p: Ipv4Packet = { dscp: 0, ecn: 0, identification: 1, flags: 0, fragmentOffset: 0, ttl: 64, protocol: 17, src: 1, dst: 2, options: new Uint8Array(0), payload: new Uint8Array(8) };
  const b = new Uint8Array(46);
  ipv4.emit(p, b, 0);
  const r = parseIpv4(b);
  assert.ok(r.ok && r.value.payload.length === 8 && r.value.payload.byteOffset === 20);
});

test('ipv4: options are kept raw, walk as {type, data}, and re-encode', () => {
  // Record Route (7) with room for two addresses, a NOP, a Router Alert (148), then EOOL padding.
  const raw = fromHex('07 0b 04 0a000001 00000000 01 9404 0000 00 00 00 00');
  assert.equal(raw.length, 20);
  const r = parseIpv4Options(raw);
  assert.ok(r.ok);
  assert.deepEqual(r.value.map((o) => o.type), [Ipv4OptionType.RR, Ipv4OptionType.NOP, Ipv4OptionType.RA, Ipv4OptionType.EOOL]);
  assert.deepEqual([...r.value[2]!.data], [0, 0]);
  assert.deepEqual(encodeIpv4Options(r.value), raw.subarray(0, 17));
  const p: Ipv4Packet = { dscp: 0, ecn: 0, identification: 7, flags: 0, fragmentOffset: 0, ttl: 1, protocol: 17, src: 1, dst: 2, options: raw, payload: new Uint8Array(4) };
  const bytes = encode(ipv4, p);
  assert.equal(bytes[0], 0x4a);
  const back = parseIpv4(bytes);
  assert.ok(back.ok && Buffer.from(back.value.options).equals(Buffer.from(raw)));
  for (const [h, code, offset] of [['07', 'ipv4.option-truncated', 0], ['0701', 'ipv4.option-bad-length', 1], ['01 07 08 00', 'ipv4.option-truncated', 2]] as const) {
    const e = parseIpv4Options(fromHex(h));
    assert.ok(!e.ok && e.error.code === code && e.error.offset === offset, h);
  }
});

test('ipv4: ttlDecrement updates the checksum in place with RFC 1624, equal to a full recomputation', () => {
  fc.assert(
    fc.property(arbIpv4, fc.integer({ min: 1, max: 255 }), (p, ttl) => {
      const b = encode(ipv4, { ...p, ttl });
      const frame = new Uint8Array(b.length + 14).fill(0xa5);
      frame.set(b, 14);
      const newTtl = ttlDecrement(frame, 14);
      assert.equal(newTtl, ttl - 1);
      assert.equal(frame[14 + 8], ttl - 1);
      assert.ok(ipv4HeaderChecksumOk(frame, 14), 'header still verifies');
      const full = encode(ipv4, { ...p, ttl: ttl - 1 });
      // One's complement has two zeros; both verify. Compare the rest byte for byte.
      assert.deepEqual(frame.subarray(14 + 12), full.subarray(12));
      for (let i = 0; i < 14; i++) assert.equal(frame[i], 0xa5);
    }),
    { numRuns: 2000 },
  );
});

test('ipv4: ttlDecrement across the checksum corner where ~HC is 0 (RFC 1624 §3 example)', () => {
  // Build a header whose checksum is 0x0000 before the TTL change and verify it still sums to zero after.
  const b = new Uint8Array(20);
  const base: Ipv4Packet = { dscp: 0, ecn: 0, identification: 0, flags: 0, fragmentOffset: 0, ttl: 2, protocol: 0, src: 0, dst: 0, options: new Uint8Array(0), payload: new Uint8Array(0) };
  // Search an identification that makes the checksum 0x0000 (or 0xffff), then decrement.
  let hits = 0;
  for (let id = 0; id < 0x10000 && hits < 4; id++) {
    emitIpv4Header({ ...base, identification: id }, 0, b, 0);
    const c = u16(b, 10);
    if (c !== 0 && c !== 0xffff && c !== 0x0100 && c !== 0xfeff) continue;
    hits++;
    ttlDecrement(b, 0);
    assert.equal(internetChecksum(b), 0, `id ${id} checksum ${c.toString(16)}`);
  }
  assert.ok(hits > 0);
});

test('ipv4: bad input gives a code and an offset', () => {
  const good = encode(ipv4, { dscp: 0, ecn: 0, identification: 1, flags: 0, fragmentOffset: 0, ttl: 64, protocol: 1, src: 1, dst: 2, options: new Uint8Array(4), payload: new Uint8Array(8) });
  const mod = (f: (b: Uint8Array) => void, len = good.length): Uint8Array => {
    const b = good.slice(0, len);
    f(b);
    return b;
  };
  const cases: [Uint8Array, string, number][] = [
    [new Uint8Array(0), 'ipv4.truncated', 0],
    [good.slice(0, 19), 'ipv4.truncated', 0],
    [mod((b) => (b[0] = 0x65)), 'ipv4.bad-version', 0],
    [mod((b) => (b[0] = 0x44)), 'ipv4.bad-header-length', 0],
    [mod(() => {}, 22), 'ipv4.truncated-header', 0],
    [mod((b) => (b[0] = 0x4f)), 'ipv4.truncated-header', 0],
    [mod((b) => { b[2] = 0; b[3] = 23; }), 'ipv4.bad-total-length', 2],
    [mod(() => {}, good.length - 1), 'ipv4.truncated', 2],
    [mod((b) => { b[2] = 0xff; }), 'ipv4.truncated', 2],
  ];
  for (const [b, code, offset] of cases) {
    const r = parseIpv4(b);
    assert.ok(!r.ok, code);
    assert.deepEqual({ code: r.error.code, offset: r.error.offset }, { code, offset });
  }
  // A bad checksum parses (the router counts it) but does not verify.
  const bad = mod((b) => (b[10]! ^= 1));
  assert.ok(parseIpv4(bad).ok);
  assert.equal(ipv4HeaderChecksumOk(bad), false);
});

test('ipv4: prefix helpers', () => {
  assert.equal(prefixMask(0), 0);
  assert.equal(prefixMask(24), 0xffffff00);
  assert.equal(prefixMask(32), 0xffffffff);
  assert.deepEqual(parseCidr('198.51.100.0/24'), [ipv4FromString('198.51.100.0'), 24]);
  assert.throws(() => parseCidr('1.2.3.4/33'));
});

test('ipv4: fragmentIpv4 splits on 8-octet boundaries, copies only copied options, and reassembles to the original', () => {
  // Options: Router Alert (148, copied) and Record Route (7, not copied), padded.
  const opts = encodeIpv4Options([{ type: 148, data: new Uint8Array(2) }, { type: 7, data: new Uint8Array([4, 0, 0, 0, 0]) }, { type: 0, data: new Uint8Array(0) }]);
  const padded = new Uint8Array((opts.length + 3) & ~3);
  padded.set(opts);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 68, max: 1500 }), fc.boolean(), fc.integer({ min: 0, max: 100 }), (n, mtu, withOpts, baseOff) => {
      const payload = new Uint8Array(n).map((_, i) => i * 7);
      const p: Ipv4Packet = { dscp: 0, ecn: 0, identification: 0x1234, flags: 0, fragmentOffset: baseOff, ttl: 9, protocol: 17, src: 1, dst: 2, options: withOpts ? padded : new Uint8Array(0), payload };
      const b = encode(ipv4, p);
      const frags = fragmentIpv4(b, 0, mtu, 3);
      const whole = new Uint8Array(n);
      let covered = 0;
      frags.forEach((f, i) => {
        assert.deepEqual([...f.subarray(0, 3)], [0, 0, 0], 'headroom left free');
        const r = parseIpv4(f.subarray(3));
        assert.ok(r.ok, 'fragment parses');
        const v = r.value;
        assert.ok(20 + v.options.length + v.payload.length <= mtu);
        assert.ok(ipv4HeaderChecksumOk(f, 3));
        assert.equal(v.identification, 0x1234);
        assert.equal(v.flags & Ipv4Flag.MF ? 1 : 0, i < frags.length - 1 ? 1 : 0);
        if (i < frags.length - 1) assert.equal(v.payload.length % 8, 0);
        const opt = parseIpv4Options(v.options);
        assert.ok(opt.ok);
        const types = opt.value.map((o) => o.type).filter((t) => t > 1);
        assert.deepEqual(types, !withOpts ? [] : i === 0 ? [148, 7] : [148]);
        const at = (v.fragmentOffset - baseOff) * 8;
        whole.set(v.payload, at);
        covered += v.payload.length;
      });
      assert.equal(covered, n);
      assert.deepEqual(whole, payload);
      if (20 + (withOpts ? padded.length : 0) + n <= mtu) assert.equal(frags.length, 1);
    }),
    { numRuns: 500 },
  );
});
