/**
 * Issue 17, real peers (1): Debian's pppd 2.4.9 (+ipv6) with dhcpcd 9.4.1 as the home, in a
 * QEMU VM (the lab's pppoe-client, `ipv6=1 dhcpv6=na,pd`), through our boxes, one process each:
 *
 *   pppd+dhcpcd (VM) ─br0─ [sse] ─veth─ [nte-a] ─veth─ [router] ─veth─ [server]
 *
 * isp-a has `ipv6`. IPV6CP opens (RFC 5072); dhcpcd takes the /64 of our Router Advertisement
 * (RFC 4861 §6.1.2: from the nte's link-local, a default router; RFC 4862 SLAAC; the ISP's DNS
 * by RDNSS, RFC 8106, or the DHCPv6 DNS option, RFC 3646) and the prefix our DHCPv6 server
 * delegates (RFC 8415 IA_PD, inside the ISP's pdPool, of its pdLength) and an address of the
 * WAN /64 (IA_NA, not the SLAAC one); the VM pings the server's IPv6 address from both
 * addresses and from its delegated prefix; when pppd hangs up, the nte's routes for the /64 and
 * the delegated prefix go. tshark finds no malformed packet and no
 * expert warning in any IPv6 or IPV6CP frame our boxes sent.
 * Every wait is bounded: when our side does not answer, the tests fail and say what is missing.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Lab, VmLab, notRoot, requireLab, requireAddon, type Proc, type JsonLine } from './lab.js';
import { controlRequest } from '../../src/io/control.js';
import { address, prefix, prefixWithin, within, hostBitsZero, samePrefix, sameAddress, hasInterfaceId, show6, ifMac, startCapture, judgeIpv6, frames, type Prefix } from '../helpers/ipv6-lab.js';

const NAME = 'v6lab';
const skip = notRoot();
const lab = new Lab(NAME);
const vms = new VmLab();
const work = mkdtempSync(path.join(tmpdir(), 'pseudonet-real-ipv6-pppd-'));
const TOPO = path.join(work, 'topology.yaml');
const sock = (b: string): string => path.join(work, `${b}.sock`);
const VM = `${NAME}${lab.tag}c`;
const USER = 'user@isp-a.example';
// The ISP's IPv6 plan (the topology below): every prefix the VM gets must come from here.
const WAN_POOL = prefix('2001:db8:100::/40');
const PD_POOL = prefix('2001:db8:8000::/34');
const PD_LENGTH = 56;
const SERVER6 = '2001:db8:ffff:1::10';
const DNS6 = '2001:db8:ffff:1::53';
let sse: Proc, nte: Proc, router: Proc, server: Proc;
const caps: { proc: Proc; file: string }[] = [];
/** pppd's words when IPV6CP cannot open: the peer Protocol-Rejected it, or never answered, or refused every option. */
const NO_IPV6CP = /Protocol-Reject for 'IPv6 Control Protocol'|IPV6CP: timeout sending Config-Requests|IPV6CP terminated/;

/** What the tests learn in order; a later test fails at once (saying why) when an earlier step never happened. */
const seen: { nteLinkLocal?: Uint8Array; ra?: Prefix; slaac?: Uint8Array; pd?: Prefix; lanAddr?: Uint8Array; na?: Uint8Array } = {};
const need = <T>(v: T | undefined, what: string): T => {
  if (v === undefined) throw new Error(`not reached: ${what} (an earlier test failed)`);
  return v;
};

const nteEvent = (type: string, ms: number): Promise<JsonLine> =>
  nte.waitFor((l) => l.kind === 'nte' && (l.event as { type?: string } | undefined)?.type === type, ms, `nte event ${type} (contract: {type:'${type}', user, acctSessionId, wanPrefix, delegatedPrefix})`);

before(async () => {
  if (skip) return;
  requireLab();
  requireAddon();
  const labNs = vms.up(`${NAME}${lab.tag}a`);
  const sseNs = lab.ns('s');
  const nteNs = lab.ns('n');
  const rtrNs = lab.ns('r');
  const srvNs = lab.ns('v');
  vms.veth(labNs, 'v6labacc', sseNs);
  lab.veth(sseNs, 'v6labcar0', nteNs, 'v6labcar1');
  lab.veth(nteNs, 'v6labcore0', rtrNs, 'v6labcore1');
  lab.veth(rtrNs, 'v6labsrv0', srvNs, 'v6labsrv1');
  writeFileSync(TOPO, `name: v6lab-pppd
sse: { name: sse, address: 192.0.2.254, interfaces: { access: v6labacc, carrier: v6labcar0 } }
isps:
  - name: isp-a
    domain: isp-a.example
    lns: { name: nte-a, address: 192.0.2.1, hostName: nte-a.isp-a.example, tunnelSecret: s, interfaces: { carrier: v6labcar1, core: v6labcore0 } }
    radius: embedded
    pool: 198.51.100.0/24
    gateway: 198.51.100.1
    dns: [198.51.100.53]
    ipv6: { wanPrefixPool: ${WAN_POOL.text}, pdPool: ${PD_POOL.text}, pdLength: ${PD_LENGTH}, dns: [${DNS6}] }
    users: [ { name: ${USER}, password: secret } ]
server: { name: server, address: 203.0.113.10, gateway: 203.0.113.1, address6: ${SERVER6}, interfaces: { server: v6labsrv1 } }
router: { name: router, ispSide: 10.255.0.1, serverSide: 203.0.113.1, ispSide6: 2001:db8:ffff::1, serverSide6: 2001:db8:ffff:1::1, interfaces: { core: v6labcore1, server: v6labsrv0 } }
`);
  server = lab.pseudonet('server', srvNs, ['up', TOPO, '--box', 'server', '--control', sock('server')]);
  router = lab.pseudonet('router', rtrNs, ['up', TOPO, '--box', 'router', '--control', sock('router')]);
  nte = lab.pseudonet('nte-a', nteNs, ['up', TOPO, '--box', 'nte-a', '--control', sock('nte-a')]);
  sse = lab.pseudonet('sse', sseNs, ['up', TOPO, '--box', 'sse', '--control', sock('sse')]);
  await Promise.all([server, router, nte, sse].map((p) => p.waitFor((l) => l.ev === 'ready', 25_000, `${p.name} ready`)));
  // What our boxes send: the sse toward the VM (PPPoE, carrying what the nte says), and every
  // frame on the core and server links (only our boxes are there; the namespaces' kernels have IPv6 off).
  for (const [ns, ifname, bpf] of [[sseNs, 'v6labacc', `ether src ${ifMac(sseNs, 'v6labacc')}`], [nteNs, 'v6labcore0', ''], [rtrNs, 'v6labsrv0', '']] as const) {
    const file = path.join(work, `${ifname}.pcapng`);
    caps.push({ proc: await startCapture(lab, ns, ifname, file, bpf), file });
  }
  await vms.run('pppoe-client', labNs, VM, ['--user', USER, '--pass', 'secret', '--set', 'persist=0', '--set', 'ipv6=1', '--set', 'dhcpv6=na,pd', '--set', 'dhcpcd_env=1', '--set', `pd_len=${PD_LENGTH}`, '--timeout', '90']);
}, { timeout: 150_000 });

after(async () => {
  if (skip) return;
  for (const b of ['sse', 'nte-a', 'router', 'server']) {
    try {
      writeFileSync(path.join(work, `${b}.counters.json`), JSON.stringify(await controlRequest(sock(b), '/show/counters', 3000), null, 1));
      writeFileSync(path.join(work, `${b}.events.json`), JSON.stringify(await controlRequest(sock(b), '/show/events', 3000), null, 1));
    } catch { /* not running */ }
  }
  const errs = [...(await lab.cleanup()), ...(await vms.cleanup(work))];
  console.error(`ipv6-pppd: logs and captures in ${work}`);
  assert.deepEqual(errs, []);
}, { timeout: 60_000 });

test('pppd and our nte open IPV6CP (RFC 5072) beside IPCP', { skip, timeout: 70_000 }, async () => {
  // VM boot, its first PADI unanswered (both start at once), LCP, CHAP, then IPCP and IPV6CP.
  const up = await vms.waitConsole(VM, /LAB: ipv6-up ppp0 local=(\S+) remote=(\S+)/, 60_000, 'IPV6CP with our nte (pppd runs ipv6-up only when IPV6CP is Opened)', NO_IPV6CP);
  const local = address(up[1]!, 'pppd local link-local');
  const remote = address(up[2]!, 'pppd remote link-local');
  assert.ok(within(remote, prefix('fe80::/64')) && hasInterfaceId(remote), `the nte's link-local ${up[2]} is fe80::/64 with a non-zero identifier (RFC 5072 §4.1, §5)`);
  assert.ok(!sameAddress(local, remote), `distinct identifiers: ${up[1]} / ${up[2]}`);
  seen.nteLinkLocal = remote;
  await vms.waitConsole(VM, /LAB: ip-up ppp0 local=198\.51\.100\.\d+ remote=198\.51\.100\.1 /, 10_000, 'IPCP still comes up (dual stack)');
});

test('dhcpcd takes the /64 of our Router Advertisement, sent from the nte\'s link-local', { skip, timeout: 40_000 }, async () => {
  const nteLl = need(seen.nteLinkLocal, 'IPV6CP');
  const ra = await vms.waitConsole(VM, /LAB: ra ppp0 from=(\S+) prefix=(\S+)/, 30_000, 'a Router Advertisement from our nte with a Prefix Information option (dhcpcd sends RS at ipv6-up)');
  const from = address(ra[1]!, 'RA source');
  const p = prefix(ra[2], 'RA prefix');
  // RFC 4861 §6.1.2: an RA's source is link-local; the contract: fe80::<the nte's IPV6CP identifier>.
  assert.ok(sameAddress(from, nteLl), `RA from ${ra[1]}, the nte's IPV6CP link-local is ${show6(nteLl)}`);
  // RFC 4862 §5.5.3: SLAAC takes a prefix whose length plus the 64-bit identifier is 128.
  assert.equal(p.len, 64, `a /64 on the WAN link: ${p.text}`);
  assert.ok(hostBitsZero(p) && prefixWithin(p, WAN_POOL), `${p.text} is inside the ISP's wanPrefixPool ${WAN_POOL.text}`);
  seen.ra = p;
  const ev = (await nteEvent('ipv6-up', 20_000)).event as { user?: string; wanPrefix?: string; delegatedPrefix?: string };
  assert.equal(ev.user, USER);
  assert.ok(samePrefix(prefix(ev.wanPrefix, 'nte ipv6-up wanPrefix'), p), `the nte says wanPrefix ${ev.wanPrefix}, the RA said ${p.text}`);
  // dhcpcd forms the SLAAC address from the RA (RFC 4862 §5.5.3) on ppp0.
  let addr: Uint8Array | undefined;
  for (let i = 0; i < 20 && !addr; i++) {
    const r = await vms.guest(VM, 'ip -6 -o addr show dev ppp0 scope global', 10);
    const m = /inet6 ([0-9a-f:]+)\/64/.exec(r.out);
    if (m) addr = address(m[1]!, 'ppp0 global address');
    else await new Promise((res) => setTimeout(res, 500));
  }
  assert.ok(addr && within(addr, p), `ppp0 has a global address in ${p.text}: ${addr ? show6(addr) : 'none'}`);
  seen.slaac = addr;
  // What dhcpcd made of the RA (lab dhcpcd_env=1 keeps its variables): a default router
  // (RFC 4861 §4.2: Router Lifetime 0 would mean "not a default router"), and the ISP's DNS
  // server by RDNSS (RFC 8106) or, failing that, the DHCPv6 DNS option (RFC 3646).
  const env = (await vms.guest(VM, 'cat /run/lab/dhcpcd-ppp0-ROUTERADVERT.env /run/lab/dhcpcd-ppp0-BOUND6.env 2>/dev/null', 10)).out;
  const lifetime = Number(/^nd1_lifetime=(\d+)$/m.exec(env)?.[1] ?? 0);
  assert.ok(lifetime > 0, `the RA's Router Lifetime is not 0:\n${env}`);
  const dns = [...env.matchAll(/^(?:nd1_rdnss\d+_servers|new_dhcp6_name_servers)=(.*)$/gm)].flatMap((m) => m[1]!.trim().split(/\s+/));
  assert.ok(dns.some((d) => sameAddress(address(d, 'DNS server'), address(DNS6))), `the ISP's DNS ${DNS6} reached dhcpcd: ${JSON.stringify(dns)}\n${env}`);
});

test('our DHCPv6 server delegates a prefix of the pool\'s length (RFC 8415 IA_PD, console LAB: dhcpv6-pd) and gives an address (IA_NA)', { skip, timeout: 50_000 }, async () => {
  need(seen.nteLinkLocal, 'IPV6CP');
  const pd = await vms.waitConsole(VM, /LAB: dhcpv6-pd ppp0 prefix=(\S+) lan=lan0 addr=(\S+)/, 40_000, 'a delegated prefix from our DHCPv6 server (dhcpcd Solicits IA_PD with hint /56)');
  const p = prefix(pd[1], 'delegated prefix');
  assert.equal(p.len, PD_LENGTH, `the ISP's pdLength: ${p.text}`);
  assert.ok(hostBitsZero(p) && prefixWithin(p, PD_POOL), `${p.text} is inside the ISP's pdPool ${PD_POOL.text}`);
  seen.pd = p;
  seen.lanAddr = address(pd[2]!, 'lan0 address');
  const ev = (await nteEvent('ipv6-up', 10_000)).event as { delegatedPrefix?: string; wanPrefix?: string };
  assert.ok(samePrefix(prefix(ev.delegatedPrefix, 'nte ipv6-up delegatedPrefix'), p), `the nte says delegatedPrefix ${ev.delegatedPrefix}, dhcpcd got ${p.text}`);
  const rows = (await controlRequest(sock('nte-a'), '/show/sessions')) as { user: string; ipv6?: { wanPrefix?: string; delegatedPrefix?: string } }[];
  const row = rows.find((r) => r.user === USER);
  assert.ok(row?.ipv6, `show sessions has an ipv6 column for ${USER}: ${JSON.stringify(rows)}`);
  assert.ok(samePrefix(prefix(row.ipv6.delegatedPrefix, 'show sessions delegatedPrefix'), p));
  if (seen.ra) assert.ok(samePrefix(prefix(row.ipv6.wanPrefix, 'show sessions wanPrefix'), seen.ra));
  assert.ok(!prefixWithin(p, WAN_POOL) && !(seen.ra && prefixWithin(seen.ra, p)), 'the delegated prefix and the WAN /64 are apart');
  // IA_NA (dhcpcd asked for both): an address of the link's /64, not the one SLAAC formed (RFC 8415 §6.2, RFC 4862 §5.4 DAD would refuse a duplicate).
  const na = await vms.waitConsole(VM, /LAB: dhcpv6-na ppp0 addr=(\S+)/, 10_000, 'an IA_NA address from our DHCPv6 server (dhcpcd asked for IA_NA and IA_PD)');
  const naAddr = address(na[1]!, 'IA_NA address');
  if (seen.ra) assert.ok(within(naAddr, seen.ra), `IA_NA ${na[1]} is of the RA's ${seen.ra.text}`);
  if (seen.slaac) assert.ok(!sameAddress(naAddr, seen.slaac), `IA_NA ${na[1]} is not the SLAAC address`);
  seen.na = naAddr;
});

test('the VM pings the server\'s IPv6 address through nte and router, from its SLAAC, IA_NA and delegated-prefix addresses', { skip, timeout: 60_000 }, async () => {
  const slaac = need(seen.slaac, 'the SLAAC address');
  const lan = need(seen.lanAddr, 'the delegated prefix');
  // From lan0's address the reply comes back through the nte's route for the delegated prefix toward this session.
  const failed: string[] = [];
  const sources: [Uint8Array, string][] = [[slaac, 'SLAAC address on ppp0'], [lan, 'lan0, of the delegated prefix']];
  if (seen.na) sources.push([seen.na, 'the IA_NA address']);
  for (const [src, what] of sources) {
    const r = await vms.guest(VM, `ping6 -c 3 -W 3 -I ${show6(src)} ${SERVER6} && echo PING6-OK`, 25);
    if (!/PING6-OK/.test(r.out)) failed.push(`ping6 ${SERVER6} from ${show6(src)} (${what}):\n${r.out}`);
  }
  assert.deepEqual(failed, [], `${failed.join('\n')}\n(counters of every box in ${work} after the run)`);
});

test('pppd hangs up: the nte ends the session and its routes for the /64 and the delegated prefix go (show routes)', { skip, timeout: 40_000 }, async () => {
  const ra = need(seen.ra, 'the RA prefix');
  const pd = need(seen.pd, 'the delegated prefix');
  type Route = { prefix?: string };
  const has = (rs: Route[], p: Prefix): boolean => rs.some((r) => typeof r.prefix === 'string' && r.prefix.includes(':') && samePrefix(prefix(r.prefix, 'route'), p));
  const before = (await controlRequest(sock('nte-a'), '/show/routes')) as Route[];
  assert.ok(has(before, ra) && has(before, pd), `while up, the nte routes ${ra.text} and ${pd.text} to the session: ${JSON.stringify(before)}`);
  const r = await vms.guest(VM, 'kill $(pidof pppd); sleep 2; echo DONE', 10);
  assert.match(r.out, /DONE/, r.out);
  await nte.waitFor((l) => l.kind === 'nte' && (l.event as { type?: string } | undefined)?.type === 'session-ended', 20_000, 'nte session-ended');
  let after: Route[] = before;
  for (let i = 0; i < 30 && (has(after, ra) || has(after, pd)); i++) {
    await new Promise((res) => setTimeout(res, 200));
    after = (await controlRequest(sock('nte-a'), '/show/routes')) as Route[];
  }
  assert.ok(!has(after, ra) && !has(after, pd), `after the session, no route for ${ra.text} or ${pd.text}: ${JSON.stringify(after)}`);
});

test('tshark: every IPv6, ICMPv6, NDP, DHCPv6 and IPV6CP frame our boxes sent dissects clean (checksums checked)', { skip, timeout: 30_000 }, async () => {
  await new Promise((res) => setTimeout(res, 500));
  for (const c of caps) await c.proc.stop('SIGTERM', 20_000); // dumpcap flushes at exit: no SIGKILL on a loaded machine
  const { problems, judged } = judgeIpv6(caps.map((c) => c.file), work);
  assert.deepEqual(problems, [], JSON.stringify(judged, null, 1));
  // Not vacuous: what our side must have sent toward the VM, and on the core links.
  const acc = path.join(work, 'v6labacc.ipv6.pcapng');
  const want: [string, string, string][] = [
    [acc, 'ipv6cp && ppp.code == 1', 'IPV6CP Configure-Request'],
    [acc, 'ipv6cp && ppp.code == 2', 'IPV6CP Configure-Ack'],
    [acc, 'icmpv6.type == 134', 'Router Advertisement'],
    [acc, 'dhcpv6.msgtype == 2 || dhcpv6.msgtype == 7', 'DHCPv6 Advertise or Reply'],
    [acc, 'icmpv6.type == 129', 'Echo Reply toward the VM'],
    [path.join(work, 'v6labsrv0.ipv6.pcapng'), 'icmpv6.type == 128', 'Echo Request forwarded to the server'],
    [path.join(work, 'v6labcore0.ipv6.pcapng'), 'icmpv6.type == 129', 'Echo Reply on the core link'],
  ];
  const absent = want.filter(([f, flt]) => frames(f, flt).length === 0).map(([, , what]) => what);
  assert.deepEqual(absent, [], `frames our boxes never sent:\n${JSON.stringify(judged, null, 1)}`);
});
