/**
 * The DHCPv6 server against RFC 8415: every client message type and what §16 and §18.3 say to
 * answer (or discard), Rapid Commit, status codes, bindings that expire, answers only on the
 * link a message came from; dhcpcd's own Solicit and Request from the capture; and under
 * random churn of sessions (the nte's use: a pool prefix per link) never one prefix bound on
 * two live links, with exhaustion answered NoPrefixAvail.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Dhcpv6Server, dhcpv6ServerConfig } from '../../src/proto/dhcpv6-server.js';
import { PrefixPool6, ipv6PrefixFromString as P, ipv6PrefixToString as S } from '../../src/proto/prefix-pool6.js';
import { dhcpv6, duidLl, findOption, parseDhcpv6, Dhcpv6MessageType as T, Dhcpv6Status as ST, type Dhcpv6ClientServer, type Dhcpv6Option, type Duid } from '../../src/wire/dhcpv6.js';
import { encode } from '../../src/wire/result.js';
import { ipv6FromString as ip6, ipv6ToString } from '../../src/wire/ipv6.js';
import { dhcpv6Messages } from '../helpers/ipv6-captures.js';
import { udp6Packet } from '../../src/wire/ipv6-packets.js';
import { PcapngWriter } from '../../src/wire/pcap.js';
import { tsharkProblems, tsharkSummary } from '../helpers/tshark.js';
import { withChecksumChecks } from '../helpers/wsconfig.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after } from 'node:test';

const SERVER_DUID: Duid = { kind: 'll', hardwareType: 1, linkLayer: Uint8Array.of(2, 0, 0, 0, 0, 0xb) };
const CLIENT = { kind: 'client-id' as const, duid: duidLl(Uint8Array.of(2, 0, 0, 0, 0, 0xa)) };
const SERVER = { kind: 'server-id' as const, duid: SERVER_DUID };
const OTHER_SERVER = { kind: 'server-id' as const, duid: duidLl(Uint8Array.of(2, 0, 0, 0, 0, 0xc)) };
const HOME_LL = ip6('fe80::7593:97b3:29ab:2448');
const PD = P('2001:db8:8000:1000::/56');
const WAN = P('2001:db8:100:10::/64');
const DNS = ip6('2001:db8:ffff:1::53');

function server(o: Partial<Parameters<typeof dhcpv6ServerConfig>[0]> = {}) {
  return new Dhcpv6Server<string>(dhcpv6ServerConfig({ serverDuid: SERVER_DUID, dns: [DNS], ...o }), {});
}

function msg(msgType: number, options: Dhcpv6Option[], transactionId = 0xabcdef): Uint8Array {
  return encode(dhcpv6, { kind: 'message', msgType, transactionId, options });
}

const iaPd = (iaid = 2, options: Dhcpv6Option[] = []): Dhcpv6Option => ({ kind: 'ia-pd', iaid, t1: 0, t2: 0, options });
const iaPrefix = (p: { prefix: Uint8Array; length: number }, pref = 3600, valid = 7200): Dhcpv6Option => ({ kind: 'ia-prefix', preferredLifetime: pref, validLifetime: valid, prefixLength: p.length, prefix: p.prefix, options: [] });

/** The server's answer to one message on `link` (undefined: discarded). */
function ask(s: Dhcpv6Server<string>, link: string, bytes: Uint8Array, now = 0, multicast = true): Dhcpv6ClientServer | undefined {
  s.handle(link, HOME_LL, multicast, bytes, now);
  const t = s.pollTransmit();
  assert.equal(s.pollTransmit(), undefined, 'one answer at most');
  if (!t) return undefined;
  assert.equal(t.link, link, 'answered on the link it came from');
  emitted.push(t.message);
  assert.equal(ipv6ToString(t.dst), ipv6ToString(HOME_LL));
  // What goes out must survive the codec.
  const again = parseDhcpv6(encode(dhcpv6, t.message));
  assert.ok(again.ok);
  return t.message;
}

function pdOf(m: Dhcpv6ClientServer, iaid?: number): Extract<Dhcpv6Option, { kind: 'ia-pd' }> | undefined {
  return m.options.find((o): o is Extract<Dhcpv6Option, { kind: 'ia-pd' }> => o.kind === 'ia-pd' && (iaid === undefined || o.iaid === iaid));
}

function prefixIn(m: Dhcpv6ClientServer, iaid?: number): { p: string; pref: number; valid: number } | undefined {
  const pd = pdOf(m, iaid);
  const x = pd && findOption(pd.options, 'ia-prefix');
  return x && { p: `${ipv6ToString(x.prefix)}/${x.prefixLength}`, pref: x.preferredLifetime, valid: x.validLifetime };
}

/** Every message the server sent in this file, for tshark at the end. */
const emitted: Dhcpv6ClientServer[] = [];

const statusOf = (opts: readonly Dhcpv6Option[]) => findOption(opts, 'status')?.status;

test('Solicit → Advertise (Server and Client Identifier, the prefix, Preference, T1/T2), Request → Reply and a binding', () => {
  const s = server();
  s.openLink('a', { delegated: PD, onLink: WAN });
  const adv = ask(s, 'a', msg(T.SOLICIT, [CLIENT, { kind: 'elapsed-time', value: 0 }, iaPd(2, [iaPrefix({ prefix: new Uint8Array(16), length: 56 }, 0, 0)]), { kind: 'oro', codes: [23] }]))!;
  assert.equal(adv.msgType, T.ADVERTISE);
  assert.equal(adv.transactionId, 0xabcdef);
  assert.deepEqual(adv.options[0], SERVER);
  assert.deepEqual(findOption(adv.options, 'client-id'), CLIENT);
  assert.equal(findOption(adv.options, 'preference')?.value, 255);
  assert.deepEqual(prefixIn(adv), { p: '2001:db8:8000:1000::/56', pref: 3600, valid: 7200 });
  assert.deepEqual([pdOf(adv)!.t1, pdOf(adv)!.t2], [1800, 2880], 'T1 = 0.5, T2 = 0.8 of the preferred lifetime (§14.2)');
  assert.deepEqual(findOption(adv.options, 'dns-servers')?.servers, [DNS], 'asked in the ORO (RFC 3646)');
  assert.equal(s.binding('a', 0), undefined, 'an Advertise commits nothing');
  const rep = ask(s, 'a', msg(T.REQUEST, [CLIENT, SERVER, iaPd(2, [iaPrefix(PD)])]))!;
  assert.equal(rep.msgType, T.REPLY);
  assert.deepEqual(prefixIn(rep), { p: '2001:db8:8000:1000::/56', pref: 3600, valid: 7200 });
  assert.equal(findOption(rep.options, 'dns-servers'), undefined, 'no ORO, no DNS');
  assert.equal(S(s.binding('a', 0)!.prefix), '2001:db8:8000:1000::/56');
  const ev = s.pollEvent();
  assert.equal(ev?.type, 'bound');
});

test('Rapid Commit (§18.3.1): a Reply with Rapid Commit when the server allows it, an Advertise when not or when nothing can be given', () => {
  const s = server();
  s.openLink('a', { delegated: PD });
  const r = ask(s, 'a', msg(T.SOLICIT, [CLIENT, { kind: 'rapid-commit' }, iaPd()]))!;
  assert.equal(r.msgType, T.REPLY);
  assert.ok(findOption(r.options, 'rapid-commit'));
  assert.ok(s.binding('a', 0));
  const off = server({ rapidCommit: false });
  off.openLink('a', { delegated: PD });
  assert.equal(ask(off, 'a', msg(T.SOLICIT, [CLIENT, { kind: 'rapid-commit' }, iaPd()]))!.msgType, T.ADVERTISE);
  const none = server();
  none.openLink('a', {});
  const a = ask(none, 'a', msg(T.SOLICIT, [CLIENT, { kind: 'rapid-commit' }, iaPd()]))!;
  assert.equal(a.msgType, T.ADVERTISE, 'nothing to commit');
  assert.equal(statusOf(pdOf(a)!.options), ST.NO_PREFIX_AVAIL, 'the IA_PD with NoPrefixAvail (§18.3.9)');
  assert.equal(prefixIn(a), undefined);
});

test('IA_NA gets NoAddrsAvail (SLAAC link); a second IA_PD, or a second client on a bound link, gets NoPrefixAvail', () => {
  const s = server();
  s.openLink('a', { delegated: PD });
  const adv = ask(s, 'a', msg(T.SOLICIT, [CLIENT, { kind: 'ia-na', iaid: 1, t1: 0, t2: 0, options: [] }, iaPd(2), iaPd(3)]))!;
  assert.equal(statusOf(findOption(adv.options, 'ia-na')!.options), ST.NO_ADDRS_AVAIL);
  assert.ok(prefixIn(adv, 2));
  assert.equal(statusOf(pdOf(adv, 3)!.options), ST.NO_PREFIX_AVAIL, 'one delegated prefix per session');
  ask(s, 'a', msg(T.REQUEST, [CLIENT, SERVER, iaPd(2)]));
  const other = { kind: 'client-id' as const, duid: duidLl(Uint8Array.of(2, 0, 0, 0, 0, 0xee)) };
  const r = ask(s, 'a', msg(T.REQUEST, [other, SERVER, iaPd(2)]))!;
  assert.equal(statusOf(pdOf(r)!.options), ST.NO_PREFIX_AVAIL, "the link's prefix is bound to the first client");
});

test('IA_NA on a link with an address: one IA_NA gets it (others NoAddrsAvail), Renew refreshes, Release frees, Decline takes it out for good, Rebind of it binds again', () => {
  const ADDR = ip6('2001:db8:100:10::1');
  const s = server();
  s.openLink('a', { delegated: PD, onLink: WAN, address: ADDR });
  const na = (iaid: number, addrs: Uint8Array[] = []): Dhcpv6Option => ({ kind: 'ia-na', iaid, t1: 0, t2: 0, options: addrs.map((a) => ({ kind: 'ia-address', address: a, preferredLifetime: 0, validLifetime: 0, options: [] })) });
  const addrIn = (m: Dhcpv6ClientServer, iaid: number) => {
    const ia = m.options.find((o) => o.kind === 'ia-na' && o.iaid === iaid);
    return ia && ia.kind === 'ia-na' ? ia.options.filter((o) => o.kind === 'ia-address').map((o) => o.kind === 'ia-address' && `${ipv6ToString(o.address)} ${o.preferredLifetime}/${o.validLifetime}`) : undefined;
  };
  const naStatus = (m: Dhcpv6ClientServer, iaid: number) => {
    const ia = m.options.find((o) => o.kind === 'ia-na' && o.iaid === iaid);
    return ia && ia.kind === 'ia-na' ? statusOf(ia.options) : undefined;
  };
  const adv = ask(s, 'a', msg(T.SOLICIT, [CLIENT, na(1), na(4), iaPd(2)]))!;
  assert.deepEqual(addrIn(adv, 1), ['2001:db8:100:10::1 3600/7200']);
  assert.equal(naStatus(adv, 4), ST.NO_ADDRS_AVAIL, 'one address per link');
  assert.equal(s.addressBinding('a', 0), undefined, 'Advertise commits nothing');
  const rep = ask(s, 'a', msg(T.REQUEST, [CLIENT, SERVER, na(1, [ip6('2001:db8:ffff::1000')])]))!;
  assert.deepEqual(addrIn(rep, 1), ['2001:db8:100:10::1 3600/7200'], 'ours, not the hint');
  assert.equal(ipv6ToString(s.addressBinding('a', 0)!.address), '2001:db8:100:10::1');
  assert.equal(s.pollEvent()?.type, 'address-bound');
  const renew = ask(s, 'a', msg(T.RENEW, [CLIENT, SERVER, na(1, [ADDR, ip6('2001:db8:999::1')])]), 1000)!;
  assert.deepEqual(addrIn(renew, 1), ['2001:db8:100:10::1 3600/7200', '2001:db8:999::1 0/0'], 'a foreign address comes back with lifetimes 0');
  const other = { kind: 'client-id' as const, duid: duidLl(Uint8Array.of(2, 0, 0, 0, 0, 0xee)) };
  assert.equal(naStatus(ask(s, 'a', msg(T.REQUEST, [other, SERVER, na(1)]))!, 1), ST.NO_ADDRS_AVAIL, 'bound to the first client');
  const rel = ask(s, 'a', msg(T.RELEASE, [CLIENT, SERVER, na(1, [ADDR])]), 2000)!;
  assert.equal(statusOf(rel.options), ST.SUCCESS);
  assert.equal(s.addressBinding('a', 2000), undefined);
  assert.equal(s.pollEvent()?.type, 'address-released');
  // Rebind of the link's address with no binding: bound again (§18.3.5).
  assert.deepEqual(addrIn(ask(s, 'a', msg(T.REBIND, [CLIENT, na(1, [ADDR])]), 3000)!, 1), ['2001:db8:100:10::1 3600/7200']);
  assert.ok(s.addressBinding('a', 3000));
  // Decline (DAD found it in use): Success, and the address is never offered again on this link.
  const dec = ask(s, 'a', msg(T.DECLINE, [CLIENT, SERVER, na(1, [ADDR])]), 4000)!;
  assert.equal(statusOf(dec.options), ST.SUCCESS);
  assert.equal(dec.options.find((o) => o.kind === 'ia-na'), undefined, 'the declined IA is not listed');
  assert.equal(s.addressBinding('a', 4000), undefined);
  assert.equal(naStatus(ask(s, 'a', msg(T.SOLICIT, [CLIENT, na(1)]), 5000)!, 1), ST.NO_ADDRS_AVAIL);
});

test('Renew / Rebind refresh the lifetimes; a binding not renewed is gone at its valid lifetime; Renew without binding: NoBinding', () => {
  const s = server();
  s.openLink('a', { delegated: PD });
  ask(s, 'a', msg(T.REQUEST, [CLIENT, SERVER, iaPd(2)]), 0);
  const renew = ask(s, 'a', msg(T.RENEW, [CLIENT, SERVER, iaPd(2, [iaPrefix(PD, 100, 200)])]), 1_800_000)!;
  assert.equal(renew.msgType, T.REPLY);
  assert.deepEqual(prefixIn(renew), { p: '2001:db8:8000:1000::/56', pref: 3600, valid: 7200 });
  // Renewed at 1,800 s: valid until 1,800 + 7,200 s.
  assert.ok(s.binding('a', 8_999_000));
  assert.equal(s.binding('a', 9_000_000), undefined, 'expired without another Renew');
  const late = ask(s, 'a', msg(T.RENEW, [CLIENT, SERVER, iaPd(2, [iaPrefix(PD)])]), 9_100_000)!;
  assert.equal(statusOf(pdOf(late)!.options), ST.NO_BINDING);
  // Rebind (no Server Identifier) of the link's own prefix: bound again (§18.3.5).
  const rebind = ask(s, 'a', msg(T.REBIND, [CLIENT, iaPd(2, [iaPrefix(PD)])]), 9_200_000)!;
  assert.deepEqual(prefixIn(rebind), { p: '2001:db8:8000:1000::/56', pref: 3600, valid: 7200 });
  assert.ok(s.binding('a', 9_200_000));
  // Renew carrying a prefix that is not the link's: it comes back with lifetimes 0 beside the right one (§18.3.4).
  const wrong = ask(s, 'a', msg(T.RENEW, [CLIENT, SERVER, iaPd(2, [iaPrefix(P('2001:db8:100::/56'))])]), 9_300_000)!;
  const xs = pdOf(wrong)!.options.filter((o) => o.kind === 'ia-prefix').map((o) => o.kind === 'ia-prefix' && `${ipv6ToString(o.prefix)}/${o.prefixLength} ${o.preferredLifetime}/${o.validLifetime}`);
  assert.deepEqual(xs, ['2001:db8:8000:1000::/56 3600/7200', '2001:db8:100::/56 0/0']);
  // Rebind from a client with no binding and a foreign prefix: lifetimes 0 (§18.3.5).
  const s2 = server();
  s2.openLink('b', { delegated: PD });
  const rb = ask(s2, 'b', msg(T.REBIND, [CLIENT, iaPd(2, [iaPrefix(P('2001:db8:100::/56'))])]))!;
  assert.deepEqual(prefixIn(rb), { p: '2001:db8:100::/56', pref: 0, valid: 0 });
  // Rebind with nothing known about any IA: no Reply at all.
  assert.equal(ask(s2, 'b', msg(T.REBIND, [CLIENT, iaPd(2)])), undefined);
});

test('Release frees the binding (Success; NoBinding for IAs not bound); Decline and Confirm; Information-request gives DNS', () => {
  const s = server();
  s.openLink('a', { delegated: PD, onLink: WAN });
  ask(s, 'a', msg(T.REQUEST, [CLIENT, SERVER, iaPd(2)]));
  s.pollEvent();
  const rel = ask(s, 'a', msg(T.RELEASE, [CLIENT, SERVER, iaPd(2, [iaPrefix(PD)]), iaPd(9)]))!;
  assert.equal(rel.msgType, T.REPLY);
  assert.equal(statusOf(rel.options), ST.SUCCESS);
  assert.equal(pdOf(rel, 2), undefined, 'the released IA is not listed');
  assert.equal(statusOf(pdOf(rel, 9)!.options), ST.NO_BINDING);
  assert.equal(s.binding('a', 0), undefined);
  assert.equal(s.pollEvent()?.type, 'released');
  assert.equal(statusOf(pdOf(ask(s, 'a', msg(T.RENEW, [CLIENT, SERVER, iaPd(2)]))!)!.options), ST.NO_BINDING, 'nothing to renew after Release');
  // The session's prefix is still the link's: a new Solicit gets it again.
  assert.equal(prefixIn(ask(s, 'a', msg(T.SOLICIT, [CLIENT, iaPd(2)]))!)?.p, '2001:db8:8000:1000::/56');
  const dec = ask(s, 'a', msg(T.DECLINE, [CLIENT, SERVER, { kind: 'ia-na', iaid: 1, t1: 0, t2: 0, options: [{ kind: 'ia-address', address: ip6('2001:db8:100:10::1'), preferredLifetime: 0, validLifetime: 0, options: [] }] }]))!;
  assert.equal(statusOf(dec.options), ST.SUCCESS);
  assert.equal(statusOf(findOption(dec.options, 'ia-na')!.options), ST.NO_BINDING);
  const na = (a: string): Dhcpv6Option => ({ kind: 'ia-na', iaid: 1, t1: 0, t2: 0, options: [{ kind: 'ia-address', address: ip6(a), preferredLifetime: 0, validLifetime: 0, options: [] }] });
  assert.equal(statusOf(ask(s, 'a', msg(T.CONFIRM, [CLIENT, na('2001:db8:100:10::5')]))!.options), ST.SUCCESS);
  assert.equal(statusOf(ask(s, 'a', msg(T.CONFIRM, [CLIENT, na('2001:db8:999::5')]))!.options), ST.NOT_ON_LINK);
  assert.equal(ask(s, 'a', msg(T.CONFIRM, [CLIENT, iaPd(2)])), undefined, 'no address to judge: no Reply (§18.3.3)');
  const info = ask(s, 'a', msg(T.INFORMATION_REQUEST, [CLIENT, { kind: 'oro', codes: [23, 24] }]))!;
  assert.equal(info.msgType, T.REPLY);
  assert.deepEqual(findOption(info.options, 'dns-servers')?.servers, [DNS]);
  const anon = ask(s, 'a', msg(T.INFORMATION_REQUEST, [{ kind: 'elapsed-time', value: 0 }]))!;
  assert.equal(findOption(anon.options, 'client-id'), undefined, 'an anonymous Information-request is answered without one');
});

test('§16 discards, §18.3 UseMulticast, and messages only on their own link', () => {
  const s = server();
  s.openLink('a', { delegated: PD });
  const cases: [string, Uint8Array][] = [
    ['no-client-id', msg(T.SOLICIT, [iaPd()])],
    ['server-id-present', msg(T.SOLICIT, [CLIENT, SERVER, iaPd()])],
    ['server-id-present', msg(T.REBIND, [CLIENT, SERVER, iaPd()])],
    ['no-server-id', msg(T.REQUEST, [CLIENT, iaPd()])],
    ['not-our-server-id', msg(T.RENEW, [CLIENT, OTHER_SERVER, iaPd()])],
    ['not-our-server-id', msg(T.INFORMATION_REQUEST, [CLIENT, OTHER_SERVER])],
    ['ia-in-information-request', msg(T.INFORMATION_REQUEST, [CLIENT, iaPd()])],
    [`type-${T.ADVERTISE}`, msg(T.ADVERTISE, [CLIENT, SERVER])],
    [`type-${T.REPLY}`, msg(T.REPLY, [CLIENT, SERVER])],
    [`type-${T.RELAY_FORW}`, Uint8Array.of(12, 0, ...new Uint8Array(32))],
  ];
  for (const [reason, bytes] of cases) {
    const before = s.counters[`dhcpv6.drop.${reason}`] ?? 0;
    assert.equal(ask(s, 'a', bytes), undefined, reason);
    assert.equal(s.counters[`dhcpv6.drop.${reason}`], before + 1, reason);
  }
  assert.equal(ask(s, 'a', Uint8Array.of(1, 2)), undefined, 'malformed');
  assert.ok(Object.keys(s.counters).some((k) => k.startsWith('dhcpv6.drop.malformed')));
  assert.equal(ask(s, 'nowhere', msg(T.SOLICIT, [CLIENT, iaPd()])), undefined, 'a link we do not serve');
  const uni = ask(s, 'a', msg(T.REQUEST, [CLIENT, SERVER, iaPd()]), 0, false)!;
  assert.deepEqual(uni.options, [SERVER, CLIENT, { kind: 'status', status: ST.USE_MULTICAST, message: new TextEncoder().encode('Use multicast') }], 'Server and Client Identifier and UseMulticast only');
  assert.equal(s.binding('a', 0), undefined);
});

test("dhcpcd's Solicit and Request from the capture get the answers RFC 8415 requires", () => {
  const s = server();
  s.openLink('a', { delegated: PD, onLink: WAN });
  const msgs = dhcpv6Messages();
  const sol = msgs.find((m) => m.message[0] === T.SOLICIT)!.message;
  const parsedSol = parseDhcpv6(sol);
  assert.ok(parsedSol.ok && parsedSol.value.kind === 'message');
  const adv = ask(s, 'a', sol)!;
  assert.equal(adv.msgType, T.ADVERTISE);
  assert.equal(adv.transactionId, parsedSol.value.transactionId);
  assert.deepEqual(findOption(adv.options, 'client-id'), findOption(parsedSol.value.options, 'client-id'));
  assert.equal(prefixIn(adv, 2)?.p, '2001:db8:8000:1000::/56', "dhcpcd's IA_PD (IAID 2, hint ::/56)");
  assert.equal(statusOf(findOption(adv.options, 'ia-na')!.options), ST.NO_ADDRS_AVAIL, "dhcpcd's IA_NA (IAID 1)");
  // Its Request went to dibbler; the same bytes with our Server Identifier.
  const req = parseDhcpv6(msgs.find((m) => m.message[0] === T.REQUEST)!.message);
  assert.ok(req.ok && req.value.kind === 'message');
  assert.equal(ask(s, 'a', encode(dhcpv6, req.value)), undefined, "addressed to dibbler's DUID: not ours, discarded (§16.4)");
  const ours = { ...req.value, options: req.value.options.map((o) => (o.kind === 'server-id' ? SERVER : o)) };
  const rep = ask(s, 'a', encode(dhcpv6, ours))!;
  assert.equal(rep.msgType, T.REPLY);
  assert.equal(rep.transactionId, req.value.transactionId);
  assert.equal(prefixIn(rep, 2)?.p, '2001:db8:8000:1000::/56', "ours, not dibbler's 2001:db8:100::/56 hint");
});

test('random session churn over a small pool (the nte: one pool prefix per link): never one prefix on two live links; exhaustion is NoPrefixAvail', () => {
  fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.nat(20)), { minLength: 1, maxLength: 300 }), (ops) => {
    const pool = new PrefixPool6(P('2001:db8:8000::/60'), 62); // four /62s
    const s = server();
    const live = new Map<string, { prefix?: ReturnType<PrefixPool6['lease']> }>();
    let next = 0;
    let now = 0;
    for (const [op, n] of ops) {
      now += 1000;
      const links = [...live.keys()];
      const pick = links[n % Math.max(1, links.length)];
      if (op === 0 || !pick) {
        const link = `s${next++}`;
        const prefix = pool.lease();
        live.set(link, { prefix });
        s.openLink(link, prefix ? { delegated: prefix } : {});
        // Every home has the same DUID (cloned CPEs): the link, not the DUID, decides.
        const r = ask(s, link, msg(T.SOLICIT, [CLIENT, { kind: 'rapid-commit' }, iaPd(1)]), now)!;
        if (prefix) assert.equal(prefixIn(r)?.p, S(prefix));
        else assert.equal(statusOf(pdOf(r)!.options), ST.NO_PREFIX_AVAIL, 'exhausted: NoPrefixAvail');
      } else if (op === 1) {
        // Session end: link closed, prefix back.
        const l = live.get(pick)!;
        s.closeLink(pick);
        if (l.prefix) pool.release(l.prefix);
        live.delete(pick);
      } else if (op === 2) {
        // A Renew of the IAID every link has bound: each link renews its own prefix, or has no binding.
        const r = ask(s, pick, msg(T.RENEW, [CLIENT, SERVER, iaPd(1)]), now)!;
        const own = live.get(pick)!.prefix;
        if (own) assert.equal(prefixIn(r)?.p, S(own));
        else assert.equal(statusOf(pdOf(r)!.options), ST.NO_BINDING);
      } else {
        const r = ask(s, pick, msg(T.SOLICIT, [CLIENT, iaPd(5)]), now)!;
        const got = prefixIn(r)?.p;
        const own = live.get(pick)!.prefix;
        if (got !== undefined) assert.equal(got, own && S(own), "only the link's own prefix");
      }
      const bound = [...live.keys()].map((l) => s.binding(l, now)).filter((b) => b !== undefined).map((b) => S(b!.prefix));
      assert.equal(new Set(bound).size, bound.length, `two live links bound to one prefix: ${bound.join(', ')}`);
      assert.equal(s.linkCount, live.size, 'no state for ended sessions');
    }
  }), { numRuns: 200 });
});

test('tshark dissects every message the server sent above (each type and status), as the nte sends them: no malformed packet, no expert warning', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'v6nte-dhcpv6-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const kinds = new Set(emitted.map((m) => `${m.msgType}:${[...m.options, ...m.options.flatMap((o) => ('options' in o ? o.options : []))].filter((o) => o.kind === 'status').map((o) => (o.kind === 'status' ? o.status : -1)).join(',')}`));
  // Advertise and Reply, with Success, NoAddrsAvail, NoBinding, NotOnLink, UseMulticast, NoPrefixAvail among them.
  for (const st of [ST.SUCCESS, ST.NO_ADDRS_AVAIL, ST.NO_BINDING, ST.NOT_ON_LINK, ST.USE_MULTICAST, ST.NO_PREFIX_AVAIL]) assert.ok([...kinds].some((k) => k.split(':')[1]!.split(',').includes(String(st))), `status ${st} emitted`);
  const w = new PcapngWriter();
  const ifc = w.addInterface(1, 'subscriber');
  const seen = new Set<string>();
  let n = 0;
  for (const m of emitted) {
    const key = hexKey(encode(dhcpv6, m));
    if (seen.has(key)) continue;
    seen.add(key);
    const ip = udp6Packet({ src: ip6('fe80::1'), dst: HOME_LL }, 547, 546, encode(dhcpv6, m));
    const f = new Uint8Array(14 + ip.length);
    f.set([2, 0, 0, 0, 0, 0xa, 2, 0, 0, 0, 0, 0xb, 0x86, 0xdd]);
    f.set(ip, 14);
    w.write(ifc, 1_700_000_000_000 + n++, f);
  }
  const file = path.join(dir, 'dhcpv6-server.pcapng');
  writeFileSync(file, w.bytes());
  withChecksumChecks(dir, () => {
    const summary = tsharkSummary(file);
    assert.equal(summary.length, n);
    assert.ok(summary.every((l) => /^DHCPv6\t(Advertise|Reply)/.test(l)), summary.join('\n'));
    assert.deepEqual(tsharkProblems(file), []);
  });
});

function hexKey(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

test('a link that floods is rate-limited (20 messages a second by default), counted, and served again the next second; other links are not touched', () => {
  const s = server();
  s.openLink('a', { delegated: PD });
  s.openLink('b', { delegated: P('2001:db8:8000:1100::/56') });
  let answered = 0;
  for (let i = 0; i < 1000; i++) if (ask(s, 'a', msg(T.SOLICIT, [CLIENT, iaPd()]), 500)) answered++;
  assert.equal(answered, 20);
  assert.equal(s.counters['dhcpv6.drop.rate-limited'], 980);
  assert.ok(ask(s, 'b', msg(T.SOLICIT, [CLIENT, iaPd()]), 500), 'another link is served');
  assert.ok(ask(s, 'a', msg(T.SOLICIT, [CLIENT, iaPd()]), 1500), 'the next second');
});
