import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  clampMss, encodeTcpOptions, fillTcpChecksum, findMssOption, parseTcp, parseTcpOptions, tcp, tcpChecksum, tcpChecksumOk, TcpFlag,
  TcpOptionKind, type TcpSegment,
} from '../../src/wire/tcp.js';
import { IpProtocol, parseIpv4 } from '../../src/wire/ipv4.js';
import { fromHex, u16 } from '../../src/wire/bytes.js';
import { fold, pseudoHeaderSum } from '../../src/wire/checksum.js';
import { encode } from '../../src/wire/result.js';
import { checkReemit, propertyRoundTrip } from '../helpers/codec.js';
import { allIpv4Packets } from '../helpers/ip-fixtures.js';

const u16a = fc.integer({ min: 0, max: 0xffff });
const u32a = fc.integer({ min: 0, max: 0xffffffff });
const arbTcp: fc.Arbitrary<TcpSegment> = fc.record({
  srcPort: u16a,
  dstPort: u16a,
  seq: u32a,
  ack: u32a,
  flags: fc.integer({ min: 0, max: 0xfff }),
  window: u16a,
  checksum: u16a,
  urgentPointer: u16a,
  options: fc.integer({ min: 0, max: 10 }).chain((n) => fc.uint8Array({ minLength: 4 * n, maxLength: 4 * n })),
  payload: fc.uint8Array({ maxLength: 100 }),
});

test('tcp: parse(emit(x)) = x at an offset in a 0xa5 buffer', () => {
  propertyRoundTrip(tcp, arbTcp, 1000);
});

function realTcp(): { name: string; seg: TcpSegment; src: number; dst: number; data: Uint8Array }[] {
  const out: { name: string; seg: TcpSegment; src: number; dst: number; data: Uint8Array }[] = [];
  for (const { name, data } of allIpv4Packets()) {
    const ip = parseIpv4(data);
    assert.ok(ip.ok);
    if (ip.value.protocol !== IpProtocol.TCP) continue;
    out.push({ name, seg: checkReemit(tcp, ip.value.payload, name), src: ip.value.src, dst: ip.value.dst, data: ip.value.payload });
  }
  return out;
}

test('tcp: Linux\'s SYN and RST re-emit byte for byte, checksums verify, options walk', () => {
  const segs = realTcp();
  assert.equal(segs.length, 2);
  const syn = segs[0]!;
  // The SYN was captured on its sender before checksum offload filled it in (CHECKSUM_PARTIAL:
  // the folded pseudo-header sum); the RST arrived from the wire with a full checksum.
  assert.equal(syn.seg.checksum, fold(pseudoHeaderSum(syn.src, syn.dst, IpProtocol.TCP, syn.data.length)));
  assert.ok(tcpChecksumOk(segs[1]!.src, segs[1]!.dst, segs[1]!.data), 'RST checksum');
  assert.equal(syn.seg.flags & 0x1ff, TcpFlag.SYN);
  assert.equal(syn.seg.dstPort, 80);
  const opts = parseTcpOptions(syn.seg.options);
  assert.ok(opts.ok);
  assert.deepEqual(opts.value.map((o) => o.kind), [TcpOptionKind.MSS, TcpOptionKind.SACK_PERMITTED, TcpOptionKind.TIMESTAMPS, TcpOptionKind.NOP, TcpOptionKind.WSCALE]);
  assert.equal(u16(opts.value[0]!.data, 0), 1360);
  assert.deepEqual(encodeTcpOptions(opts.value), syn.seg.options);
  assert.equal(segs[1]!.seg.flags & 0x1ff, TcpFlag.RST | TcpFlag.ACK);
});

test('tcp: clampMss lowers the real SYN\'s MSS in place and the checksum still verifies', () => {
  const syn = realTcp()[0]!;
  const b = syn.data.slice();
  fillTcpChecksum(syn.src, syn.dst, b, 0, b.length); // complete the offloaded checksum first
  const full = b.slice();
  assert.equal(clampMss(b, 0, 1414), 1360, 'below the clamp: untouched');
  assert.deepEqual(b, full);
  assert.equal(clampMss(b, 0, 1300), 1360);
  assert.equal(u16(b, findMssOption(b, 0)), 1300);
  assert.ok(tcpChecksumOk(syn.src, syn.dst, b));
  assert.equal(u16(b, 16), tcpChecksum(syn.src, syn.dst, b, 0, b.length));
});

test('tcp: clampMss at every option alignment (even and odd offsets) equals a full recomputation', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), u32a, u32a, fc.uint8Array({ maxLength: 30 }), (nops, mss, clamp, src, dst, payload) => {
      const opts = [...Array.from({ length: nops }, () => ({ kind: TcpOptionKind.NOP, data: new Uint8Array(0) })), { kind: TcpOptionKind.MSS, data: fromHex(mss.toString(16).padStart(4, '0')) }, { kind: TcpOptionKind.SACK_PERMITTED, data: new Uint8Array(0) }];
      const seg: TcpSegment = { srcPort: 1, dstPort: 2, seq: 3, ack: 0, flags: TcpFlag.SYN, window: 65535, checksum: 0, urgentPointer: 0, options: encodeTcpOptions(opts), payload };
      const b = encode(tcp, seg);
      fillTcpChecksum(src, dst, b, 0, b.length);
      const at = findMssOption(b, 0);
      assert.equal(at, 22 + nops);
      assert.equal(clampMss(b, 0, clamp), mss);
      assert.equal(u16(b, at), Math.min(mss, clamp));
      assert.ok(tcpChecksumOk(src, dst, b), `nops ${nops}`);
    }),
    { numRuns: 2000 },
  );
});

test('tcp: no MSS option, or malformed options, leave the segment alone', () => {
  const mk = (optHex: string): Uint8Array => encode(tcp, { srcPort: 1, dstPort: 2, seq: 0, ack: 0, flags: TcpFlag.SYN, window: 1, checksum: 0, urgentPointer: 0, options: fromHex(optHex), payload: new Uint8Array(0) });
  for (const h of ['', '01010101', '00020405b4', '0401 0000', '0800 0000', '0205 05b4 0000 0000', '0303 0700 0204 05b4'.slice(0, 8)]) {
    const b = mk(h);
    const before = b.slice();
    assert.equal(clampMss(b, 0, 100), -1, h);
    assert.deepEqual(b, before, h);
  }
  // MSS after a window-scale option is found.
  const ws = mk('030307 01 020405b4 00000000');
  assert.equal(u16(ws, findMssOption(ws, 0)), 1460);
  // A segment shorter than its data offset says: no MSS.
  assert.equal(findMssOption(ws, 0, 24), -1);
});

test('tcp: bad input gives a code and an offset', () => {
  const cases: [string, string, number, (b: Uint8Array) => { ok: boolean; error?: { code: string; offset: number } }][] = [
    ['', 'tcp.truncated', 0, parseTcp],
    ['0001000200000000000000005002ffff00000', 'tcp.truncated', 0, parseTcp],
    ['00010002000000000000000040020000000000000000', 'tcp.bad-data-offset', 12, parseTcp],
    ['0001000200000000000000006002ffff00000000', 'tcp.truncated-header', 12, parseTcp],
    ['02', 'tcp.option-truncated', 0, parseTcpOptions],
    ['0201', 'tcp.option-bad-length', 1, parseTcpOptions],
    ['01 0204 05', 'tcp.option-truncated', 2, parseTcpOptions],
  ];
  for (const [h, code, offset, parse] of cases) {
    const r = parse(fromHex(h));
    assert.ok(!r.ok, h);
    assert.deepEqual({ code: r.error!.code, offset: r.error!.offset }, { code, offset }, h);
  }
});
