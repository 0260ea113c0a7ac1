import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  dhcpv6, parseDhcpv6, findOption, duidLl, Dhcpv6MessageType, Dhcpv6OptionCode, Dhcpv6Status, DHCPV6_MAX_OPTION_DEPTH, DUID_EPOCH_MS,
  type Dhcpv6Message, type Dhcpv6Option, type Duid,
} from '../../src/wire/dhcpv6.js';
import { ipv6ToString } from '../../src/wire/ipv6.js';
import { bytesText, fromHex, hex, macFromString } from '../../src/wire/bytes.js';
import { encode } from '../../src/wire/result.js';
import { checkReemit, propertyRoundTrip } from '../helpers/codec.js';
import { dhcpv6Messages } from '../helpers/ipv6-captures.js';

const u8 = fc.integer({ min: 0, max: 255 });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const addr = fc.uint8Array({ minLength: 16, maxLength: 16 });
const bytes = (max = 24, min = 0): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: min, maxLength: max });

const duidArb: fc.Arbitrary<Duid> = fc.oneof(
  fc.record({ kind: fc.constant('llt' as const), hardwareType: u16, time: u32, linkLayer: bytes(16) }),
  fc.record({ kind: fc.constant('en' as const), enterprise: u32, identifier: bytes(16) }),
  fc.record({ kind: fc.constant('ll' as const), hardwareType: u16, linkLayer: bytes(16) }),
  fc.record({ kind: fc.constant('uuid' as const), uuid: bytes(16, 16) }),
  fc.record({ kind: fc.constant('raw' as const), type: u16.filter((t) => t < 1 || t > 4), data: bytes(20) }),
);

const KNOWN = new Set([1, 2, 3, 5, 6, 7, 8, 13, 14, 23, 25, 26]);
const leafArb: fc.Arbitrary<Dhcpv6Option> = fc.oneof(
  fc.record({ kind: fc.constantFrom('client-id' as const, 'server-id' as const), duid: duidArb }),
  fc.record({ kind: fc.constant('oro' as const), codes: fc.array(u16, { maxLength: 6 }) }),
  fc.record({ kind: fc.constant('preference' as const), value: u8 }),
  fc.record({ kind: fc.constant('elapsed-time' as const), value: u16 }),
  fc.record({ kind: fc.constant('status' as const), status: u16, message: bytes(30) }),
  fc.constant({ kind: 'rapid-commit' as const }),
  fc.record({ kind: fc.constant('dns-servers' as const), servers: fc.array(addr, { maxLength: 3 }) }),
  fc.record({ kind: fc.constant('raw' as const), code: u16.filter((c) => !KNOWN.has(c)), data: bytes(30) }),
);
/** Options nested up to `d` levels (IA_NA / IA_PD / IA Address / IA Prefix holding options). */
function optionAt(d: number): fc.Arbitrary<Dhcpv6Option> {
  if (d === 0) return leafArb;
  const inner = fc.array(optionAt(d - 1), { maxLength: 2 });
  return fc.oneof(
    leafArb,
    fc.record({ kind: fc.constantFrom('ia-na' as const, 'ia-pd' as const), iaid: u32, t1: u32, t2: u32, options: inner }),
    fc.record({ kind: fc.constant('ia-address' as const), address: addr, preferredLifetime: u32, validLifetime: u32, options: inner }),
    fc.record({ kind: fc.constant('ia-prefix' as const), preferredLifetime: u32, validLifetime: u32, prefixLength: u8, prefix: addr, options: inner }),
  );
}
const optionArb = optionAt(3);

const messageArb: fc.Arbitrary<Dhcpv6Message> = fc.oneof(
  fc.record({ kind: fc.constant('message' as const), msgType: fc.integer({ min: 1, max: 11 }), transactionId: fc.integer({ min: 0, max: 0xffffff }), options: fc.array(optionArb, { maxLength: 5 }) }),
  fc.record({ kind: fc.constant('opaque' as const), msgType: u8.filter((t) => t === 0 || t > 11), body: bytes(60) }),
);

test('dhcpv6: parse(emit(x)) = x for every message type, DUID kind and option, IAs nested', () => {
  propertyRoundTrip(dhcpv6, messageArb, 600);
});

test('dhcpv6: a Solicit written out from RFC 8415 §8, §11.4, §21 octet by octet parses to its fields', () => {
  const solicit = fromHex(
    '01 abcdef' + // Solicit, transaction-id 0xabcdef
    '0001 000a 0003 0001 020000000001' + // Client Identifier: DUID-LL, Ethernet, 02:00:00:00:00:01
    '0019 0029 00000002 00000000 00000000' + // IA_PD IAID 2, T1 = T2 = 0 (the client leaves them to the server)
    '  001a 0019 00000000 00000000 38 00000000000000000000000000000000' + // IA Prefix hint: ::/56
    '000e 0000' + // Rapid Commit
    '0006 0004 0017 0019' + // ORO: DNS servers, IA_PD
    '0008 0002 0000', // Elapsed Time 0
  );
  const r = parseDhcpv6(solicit);
  assert.ok(r.ok && r.value.kind === 'message');
  const m = r.value;
  assert.equal(m.msgType, Dhcpv6MessageType.SOLICIT);
  assert.equal(m.transactionId, 0xabcdef);
  const cid = findOption(m.options, 'client-id');
  assert.ok(cid?.duid.kind === 'll' && cid.duid.hardwareType === 1 && hex(cid.duid.linkLayer) === '020000000001');
  const pd = findOption(m.options, 'ia-pd');
  assert.ok(pd && pd.iaid === 2 && pd.t1 === 0 && pd.t2 === 0);
  const hint = findOption(pd.options, 'ia-prefix');
  assert.ok(hint && hint.prefixLength === 56 && ipv6ToString(hint.prefix) === '::' && hint.options.length === 0);
  assert.ok(findOption(m.options, 'rapid-commit'));
  assert.deepEqual(findOption(m.options, 'oro')?.codes, [Dhcpv6OptionCode.DNS_SERVERS, Dhcpv6OptionCode.IA_PD]);
  assert.equal(findOption(m.options, 'elapsed-time')?.value, 0);
  checkReemit(dhcpv6, solicit, 'Solicit');
  // The same bytes from values.
  assert.equal(hex(encode(dhcpv6, {
    kind: 'message', msgType: 1, transactionId: 0xabcdef, options: [
      { kind: 'client-id', duid: duidLl(macFromString('02:00:00:00:00:01')) },
      { kind: 'ia-pd', iaid: 2, t1: 0, t2: 0, options: [{ kind: 'ia-prefix', preferredLifetime: 0, validLifetime: 0, prefixLength: 56, prefix: new Uint8Array(16), options: [] }] },
      { kind: 'rapid-commit' }, { kind: 'oro', codes: [23, 25] }, { kind: 'elapsed-time', value: 0 },
    ],
  })), hex(solicit));
});

test('dhcpv6: DUID-LLT, DUID-EN, DUID-UUID and an unknown DUID type read per RFC 8415 §11 / RFC 6355; short ones stay raw', () => {
  const duid = (h: string): Duid => {
    const b = fromHex(h);
    const r = parseDhcpv6(fromHex('07 000001 0002' + (b.length).toString(16).padStart(4, '0') + h));
    assert.ok(r.ok && r.value.kind === 'message');
    const s = findOption(r.value.options, 'server-id');
    assert.ok(s);
    return s.duid;
  };
  assert.deepEqual({ ...duid('0001 0001 32a19153 525400b9fad6'), linkLayer: undefined }, { kind: 'llt', hardwareType: 1, time: 0x32a19153, linkLayer: undefined });
  assert.deepEqual({ ...duid('0002 00000de9 0102'), identifier: undefined }, { kind: 'en', enterprise: 3561, identifier: undefined });
  const u = duid('0004 00112233445566778899aabbccddeeff');
  assert.ok(u.kind === 'uuid' && hex(u.uuid) === '00112233445566778899aabbccddeeff');
  assert.ok(duid('0009 abcd').kind === 'raw');
  // DUID-LLT needs type, hardware type and time (8 octets); a UUID is exactly 16.
  assert.ok(duid('0001 0001 32a1').kind === 'raw');
  assert.ok(duid('0004 0011').kind === 'raw');
  // A Client Identifier of one octet cannot hold a DUID type: the option is kept raw.
  const r = parseDhcpv6(fromHex('01 000001 0001 0001 ff'));
  assert.ok(r.ok && r.value.kind === 'message' && r.value.options[0]!.kind === 'raw');
});

test('dhcpv6: known options with a length the RFC does not allow are kept raw; relay and unknown messages opaque; all re-emit', () => {
  const odd = fromHex('07 000001' + '0007 0002 ffff' + '0008 0001 00' + '000e 0001 00' + '0017 0003 000000' + '0006 0003 000100' + '000d 0001 00' + '0003 0004 00000001' + '0013 0001 05');
  const v = checkReemit(dhcpv6, odd, 'odd lengths');
  assert.ok(v.kind === 'message');
  assert.deepEqual(v.options.map((o) => (o.kind === 'raw' ? o.code : o.kind)), [7, 8, 14, 23, 6, 13, 3, 19]);
  const relay = fromHex('0c 00 20010db8000000000000000000000001 fe800000000000000000000000000002 0009 0004 01000001');
  const rv = checkReemit(dhcpv6, relay, 'relay-forw');
  assert.ok(rv.kind === 'opaque' && rv.msgType === Dhcpv6MessageType.RELAY_FORW);
  const unknown = checkReemit(dhcpv6, fromHex('2a 01020304'), 'type 42');
  assert.ok(unknown.kind === 'opaque' && unknown.msgType === 42);
});

test('dhcpv6: bad input gives the error code and offset; nesting is bounded', () => {
  const cases: [string, string, string, number][] = [
    ['empty', '', 'dhcpv6.truncated', 0],
    ['no transaction id', '01 0000', 'dhcpv6.truncated', 1],
    ['three octets of option', '01 000001 000100', 'dhcpv6.option-truncated', 4],
    ['an option beyond the message', '01 000001 0001 000a 0003', 'dhcpv6.option-exceeds-container', 6],
    // IA_NA of 16 octets (IAID, T1, T2 and 4 more) whose inner option claims 8: it overruns the IA, not the message.
    ['a nested option beyond its IA', '07 000001 0003 0010 00000001 00000000 00000000 000d 0008' + '00'.repeat(8), 'dhcpv6.option-exceeds-container', 22],
  ];
  for (const [name, h, code, offset] of cases) {
    const r = parseDhcpv6(fromHex(h));
    assert.ok(!r.ok, name);
    assert.deepEqual(r.error, { code, offset }, name);
  }
  // IA_NA inside IA_NA... deeper than DHCPV6_MAX_OPTION_DEPTH fails at the too-deep list.
  const nest = (levels: number): Dhcpv6Option =>
    levels === 0 ? { kind: 'status', status: 0, message: new Uint8Array(0) } : { kind: 'ia-na', iaid: levels, t1: 0, t2: 0, options: [nest(levels - 1)] };
  const ok = encode(dhcpv6, { kind: 'message', msgType: 7, transactionId: 1, options: [nest(DHCPV6_MAX_OPTION_DEPTH)] });
  assert.ok(parseDhcpv6(ok).ok);
  const deep = encode(dhcpv6, { kind: 'message', msgType: 7, transactionId: 1, options: [nest(DHCPV6_MAX_OPTION_DEPTH + 1)] });
  const r = parseDhcpv6(deep);
  assert.ok(!r.ok);
  assert.equal(r.error.code, 'dhcpv6.options-too-deep');
  assert.equal(r.error.offset, 4 + (DHCPV6_MAX_OPTION_DEPTH + 1) * 16);
});

test('dhcpv6: the capture\'s Solicit / Advertise / Request / Reply (dhcpcd and dibbler) re-emit byte for byte and carry what tshark shows', () => {
  const msgs = dhcpv6Messages();
  assert.deepEqual(msgs.map((m) => m.frame), [48, 49, 50, 51]);
  const types: number[] = [];
  for (const { frame, message } of msgs) {
    const m = checkReemit(dhcpv6, message, `frame ${frame}`);
    assert.ok(m.kind === 'message');
    types.push(m.msgType);
    // dhcpcd's Client Identifier: DUID-LL of 52:54:00:5f:78:80 (tshark "CID: 000300015254005f7880").
    const cid = findOption(m.options, 'client-id');
    assert.ok(cid?.duid.kind === 'll' && cid.duid.hardwareType === 1 && hex(cid.duid.linkLayer) === '5254005f7880', `frame ${frame}`);
    const na = findOption(m.options, 'ia-na');
    const pd = findOption(m.options, 'ia-pd');
    assert.ok(na?.iaid === 1 && pd?.iaid === 2, `frame ${frame}`);
    if (m.msgType === Dhcpv6MessageType.ADVERTISE || m.msgType === Dhcpv6MessageType.REPLY) {
      const a = findOption(na.options, 'ia-address');
      assert.ok(a && ipv6ToString(a.address) === '2001:db8:ffff::1000');
      const p = findOption(pd.options, 'ia-prefix');
      assert.ok(p && ipv6ToString(p.prefix) === '2001:db8:100::' && p.prefixLength === 56);
      // dibbler puts the Status Code beside the IA Prefix, in the IA_PD.
      const st = findOption(pd.options, 'status');
      assert.ok(st && st.status === Dhcpv6Status.SUCCESS && bytesText(st.message) === 'Assigned 1 prefix(es).');
      // dibbler's Server Identifier: DUID-LLT, Ethernet, made Dec 1 2026 14:08:19 UTC (tshark "DUID Time").
      const sid = findOption(m.options, 'server-id');
      assert.ok(sid?.duid.kind === 'llt' && sid.duid.hardwareType === 1 && hex(sid.duid.linkLayer) === '525400b9fad6');
      assert.equal(new Date(DUID_EPOCH_MS + sid.duid.time * 1000).toISOString(), '2026-12-01T14:08:19.000Z');
    }
  }
  assert.deepEqual(types, [1, 2, 3, 7]);
});
