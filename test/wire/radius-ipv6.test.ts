/**
 * The IPv6 RADIUS attributes (RFC 3162, RFC 4818, RFC 6911): the ipv6prefix value layout
 * written out from RFC 3162 §2.3, what a peer's malformed value gets, the dictionary's names
 * and fixed lengths, an Access-Accept of the embedded server's attributes read back by the
 * NAS, and tshark dissecting both an Access-Accept and an Accounting-Request carrying them.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { A, ATTRIBUTES, RadiusCode, decodeAttribute, ipv6PrefixValue, parseIpv6PrefixValue, radiusPacket, type RadiusPacket } from '../../src/wire/radius.js';
import { signPacket } from '../../src/wire/radius-crypto.js';
import { accessReplyAttributes, readAccessReply } from '../../src/proto/radius-attributes.js';
import { ipv6FromString as ip6, ipv6ToString } from '../../src/wire/ipv6.js';
import { fromHex, hex, textBytes, ipv4FromString, macFromString } from '../../src/wire/bytes.js';
import { encode } from '../../src/wire/result.js';
import { PcapngWriter } from '../../src/wire/pcap.js';
import { udpFrame } from '../helpers/udp-frame.js';
import { tsharkProblems, tsharkSummary } from '../helpers/tshark.js';

const dir = mkdtempSync(path.join(tmpdir(), 'v6nte-radius6-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const SECRET = textBytes('radius-isp-a');

test('ipv6prefix values (RFC 3162 §2.3): Reserved, Prefix-Length, the prefix octets the length needs', () => {
  assert.equal(hex(ipv6PrefixValue(ip6('2001:db8:100:10::'), 64)), '0040' + '20010db801000010');
  assert.equal(hex(ipv6PrefixValue(ip6('2001:db8:8000:1000::'), 56)), '0038' + '20010db8800010');
  assert.equal(hex(ipv6PrefixValue(ip6('::'), 0)), '0000');
  const full = fromHex('0040' + '20010db801000010' + '0000000000000000');
  assert.equal(ipv6ToString(parseIpv6PrefixValue(full)!.prefix), '2001:db8:100:10::', 'the 16-octet form is read too');
  assert.equal(parseIpv6PrefixValue(fromHex('0040' + '20010db8')), undefined, 'fewer octets than the length needs');
  assert.equal(parseIpv6PrefixValue(fromHex('0081' + '00'.repeat(16))), undefined, 'length over 128');
  assert.equal(parseIpv6PrefixValue(fromHex('0030' + '20010db80100ff')), undefined, 'a bit set past /48 (RFC 8044 §3.10)');
  assert.equal(parseIpv6PrefixValue(fromHex('00')), undefined);
  assert.equal(parseIpv6PrefixValue(fromHex('0080' + '00'.repeat(17))), undefined, 'more than 16 prefix octets');
});

test('the dictionary: names, types and fixed lengths of 96, 97, 99, 100, 123, 168, 169', () => {
  const names = [96, 97, 99, 100, 123, 168, 169].map((t) => [t, ATTRIBUTES.get(t)?.name, ATTRIBUTES.get(t)?.valueType]);
  assert.deepEqual(names, [
    [96, 'Framed-Interface-Id', 'ifid'], [97, 'Framed-IPv6-Prefix', 'ipv6prefix'], [99, 'Framed-IPv6-Route', 'text'], [100, 'Framed-IPv6-Pool', 'text'],
    [123, 'Delegated-IPv6-Prefix', 'ipv6prefix'], [168, 'Framed-IPv6-Address', 'ipv6addr'], [169, 'DNS-Server-IPv6-Address', 'ipv6addr'],
  ]);
  const pkt = (type: number, value: Uint8Array) => {
    const b = encode(radiusPacket, { code: RadiusCode.ACCESS_ACCEPT, identifier: 1, authenticator: new Uint8Array(16), attributes: [{ type, data: value }] });
    return radiusPacket.parse(b);
  };
  const short = pkt(A.FRAMED_IPV6_ADDRESS, new Uint8Array(15));
  assert.ok(!short.ok && short.error.code === 'radius.attr.bad-value-length', 'ipv6addr is 16 octets');
  const ifid = pkt(A.FRAMED_INTERFACE_ID, new Uint8Array(7));
  assert.ok(!ifid.ok && ifid.error.code === 'radius.attr.bad-value-length', 'ifid is 8 octets');
  const d = decodeAttribute({ type: A.DELEGATED_IPV6_PREFIX, data: ipv6PrefixValue(ip6('2001:db8:8000:1000::'), 56) });
  assert.ok(d.ok);
  assert.deepEqual([d.value[0]!.name, d.value[0]!.value], ['Delegated-IPv6-Prefix', '2001:db8:8000:1000::/56']);
  const a = decodeAttribute({ type: A.FRAMED_IPV6_ADDRESS, data: ip6('2001:db8:100:10::5') });
  assert.ok(a.ok && a.value[0]!.value === '2001:db8:100:10::5');
});

function accept(): RadiusPacket {
  const attrs = accessReplyAttributes({
    framedIpAddress: ipv4FromString('198.51.100.10'), dns: [],
    framedIpv6Prefix: { prefix: ip6('2001:db8:100:10::'), length: 64 },
    delegatedIpv6Prefix: { prefix: ip6('2001:db8:8000:1000::'), length: 56 },
    dns6: [ip6('2001:db8:ffff:1::53')],
  });
  return { code: RadiusCode.ACCESS_ACCEPT, identifier: 7, authenticator: new Uint8Array(16), attributes: attrs };
}

test("an Access-Accept with the user's fixed prefixes is read back by the NAS; a malformed one is left out and counted", () => {
  const r = readAccessReply(accept(), SECRET, new Uint8Array(16));
  assert.equal(`${ipv6ToString(r.framedIpv6Prefix!.prefix)}/${r.framedIpv6Prefix!.length}`, '2001:db8:100:10::/64');
  assert.equal(`${ipv6ToString(r.delegatedIpv6Prefix!.prefix)}/${r.delegatedIpv6Prefix!.length}`, '2001:db8:8000:1000::/56');
  assert.deepEqual(r.dns6!.map((x) => ipv6ToString(x)), ['2001:db8:ffff:1::53']);
  const bad: RadiusPacket = { ...accept(), attributes: [{ type: A.DELEGATED_IPV6_PREFIX, data: fromHex('0038ffffffffffffffff') }] };
  const rb = readAccessReply(bad, SECRET, new Uint8Array(16));
  assert.equal(rb.delegatedIpv6Prefix, undefined);
  assert.equal(rb.badIpv6Prefixes, 1);
});

test('tshark dissects an Access-Accept and an Accounting-Request with the IPv6 attributes: no malformed packet, no expert warning', () => {
  const req = new Uint8Array(16).fill(0x42);
  const acc = encode(radiusPacket, accept());
  signPacket(acc, SECRET, req);
  const acct = encode(radiusPacket, { code: RadiusCode.ACCOUNTING_REQUEST, identifier: 8, authenticator: new Uint8Array(16), attributes: [
    { type: A.ACCT_STATUS_TYPE, data: fromHex('00000001') }, { type: A.ACCT_SESSION_ID, data: textBytes('nte-a-00010001-1') },
    { type: A.FRAMED_IPV6_PREFIX, data: ipv6PrefixValue(ip6('2001:db8:100:10::'), 64) },
    { type: A.DELEGATED_IPV6_PREFIX, data: ipv6PrefixValue(ip6('2001:db8:8000:1000::'), 56) },
    { type: A.FRAMED_IPV6_ADDRESS, data: ip6('2001:db8:100:10::5') },
    { type: A.FRAMED_INTERFACE_ID, data: fromHex('759397b329ab2448') },
  ] });
  signPacket(acct, SECRET);
  const nas = { mac: macFromString('02:00:00:00:00:01'), ip: ipv4FromString('172.16.0.1'), port: 50000 };
  const srv = { mac: macFromString('02:00:00:00:00:02'), ip: ipv4FromString('172.16.0.2'), port: 1812 };
  const w = new PcapngWriter();
  const ifc = w.addInterface(1, 'radius');
  w.write(ifc, 1_700_000_000_000, udpFrame(srv, nas, acc));
  w.write(ifc, 1_700_000_000_001, udpFrame(nas, { ...srv, port: 1813 }, acct));
  const file = path.join(dir, 'radius6.pcapng');
  writeFileSync(file, w.bytes());
  const s = tsharkSummary(file);
  assert.match(s[0]!, /Access-Accept/);
  assert.match(s[1]!, /Accounting-Request/);
  // Wireshark's own dictionary knows the attributes (its ipv6prefix fields are the value octets).
  const fields = execFileSync('tshark', ['-r', file, '-T', 'fields', '-E', 'occurrence=a', '-e', 'radius.Framed_IPv6_Prefix', '-e', 'radius.Delegated_IPv6_Prefix', '-e', 'radius.Framed_IPv6_Address'], { encoding: 'utf8' }).trim().split('\n');
  assert.deepEqual(fields.map((l) => l.split('\t')), [['004020010db801000010', '003820010db8800010', ''], ['004020010db801000010', '003820010db8800010', '2001:db8:100:10::5']]);
  assert.deepEqual(tsharkProblems(file), []);
});
