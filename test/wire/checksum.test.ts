import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { internetChecksum, incrementalUpdate16, onesSum, fold } from '../../src/wire/checksum.js';
import { fromHex } from '../../src/wire/bytes.js';

test('RFC 1071 example sums to the published checksum', () => {
  // RFC 1071 §3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2 (checksum ~ = 0x220d).
  assert.equal(internetChecksum(fromHex('0001f203f4f5f6f7')), 0x220d);
});

test('a real IPv4 header verifies to zero', () => {
  // From pppd-rp-pppoe-chap-ipcp-ping.pcap: ICMP echo 10.0.0.2 -> 10.0.0.1.
  const h = fromHex('45000054486d40004001de390a0000020a000001');
  assert.equal(internetChecksum(h), 0);
});

test('odd-length input pads with a zero byte', () => {
  assert.equal(internetChecksum(fromHex('01')), ~0x0100 & 0xffff);
});

test('RFC 1624 incremental update equals a full recomputation', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 20, maxLength: 60 }).filter((a) => a.length % 2 === 0), fc.nat(), fc.integer({ min: 0, max: 0xffff }), (data, at, nw) => {
      const b = new Uint8Array(data);
      b[10] = 0; b[11] = 0;
      const ck = internetChecksum(b);
      b[10] = ck >>> 8; b[11] = ck & 0xff;
      const w = (at % (b.length / 2)) * 2;
      if (w === 10) return;
      const old = (b[w]! << 8) | b[w + 1]!;
      b[w] = nw >>> 8; b[w + 1] = nw & 0xff;
      const inc = incrementalUpdate16(ck, old, nw);
      b[10] = 0; b[11] = 0;
      const full = internetChecksum(b);
      // One's-complement has two zeros; both verify, so compare by verification.
      b[10] = inc >>> 8; b[11] = inc & 0xff;
      assert.ok(inc === full || internetChecksum(b) === 0, `inc ${inc.toString(16)} full ${full.toString(16)}`);
    }),
    { numRuns: 2000 },
  );
});

test('the sum over any range and start equals RFC 1071 word by word, odd lengths padded', () => {
  // RFC 1071 §1: adjacent octets paired into 16-bit integers, a last odd octet padded with
  // zero on the right, the one's-complement sum of those. Written out here one word at a time.
  const rfc1071 = (b: Uint8Array, start: number, end: number, initial: number): number => {
    let sum = initial;
    for (let i = start; i < end; i += 2) {
      sum += b[i]! * 256 + (i + 1 < end ? b[i + 1]! : 0);
      sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
    }
    return sum;
  };
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 0x3ffff }), (b, x, y, initial) => {
      const start = b.length === 0 ? 0 : x % (b.length + 1);
      const end = start + (y % (b.length - start + 1));
      assert.equal(fold(onesSum(b, start, end, initial)), fold(rfc1071(b, start, end, initial)));
    }),
    { numRuns: 3000 },
  );
});
