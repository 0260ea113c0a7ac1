/**
 * Issue 17, real peers (2): our home as its own process (`pseudonet up --box home1`, dual
 * stack: its ISP has `ipv6`) on a veth into the QEMU lab's bridge, against the lab's
 * pppoe-server VM with `ipv6=1`: Debian's pppd 2.4.9 (+ipv6, link-local fe80::1), radvd 2.19
 * advertising 2001:db8:ffff::/64 (M off, O on) and dibbler-server 1.0.1 delegating the first /56
 * of 2001:db8:100::/48 (it answers from fe80::2, radvd's RAs come from there too).
 *
 * Our home opens IPV6CP (RFC 5072), takes a SLAAC address from radvd's prefix (RFC 4862), asks
 * for and gets the prefix dibbler delegates (RFC 8415 IA_PD; RFC 7084 WPD-1: a CE router asks
 * for a prefix when the RA has M or O set), takes a /64 of it for its LAN, pings the server's
 * 2001:db8:ffff::1; the server pings our home's address (RFC 4443 §4.1: every node answers
 * Echo Requests); SIGTERM sends a DHCPv6 Release (RFC 8415 §18.2.7) before it hangs up. tshark
 * finds no malformed packet and no expert warning in any IPv6 or IPV6CP frame our home sent.
 * Every wait is bounded: when our side does not do its part, the tests fail and say what is missing.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Lab, VmLab, notRoot, requireLab, labHomeTopology, requireAddon, type Proc, type JsonLine } from './lab.js';
import { controlRequest } from '../../src/io/control.js';
import { address, prefix, prefixWithin, within, hostBitsZero, samePrefix, sameAddress, hasInterfaceId, show6, ifMac, startCapture, judgeIpv6, frames, captured, type Prefix } from '../helpers/ipv6-lab.js';

const NAME = 'v6lab';
const skip = notRoot();
const lab = new Lab(NAME);
const vms = new VmLab();
const work = mkdtempSync(path.join(tmpdir(), 'pseudonet-real-ipv6-home-'));
const TOPO = path.join(work, 'topology.yaml');
const CONTROL = path.join(work, 'home1.sock');
const VM = `${NAME}${lab.tag}s`;
// The lab server's IPv6 plan (its README's defaults, given explicitly here).
const WAN = prefix('2001:db8:ffff::/64');
const SERVER6 = '2001:db8:ffff::1';
const PD_POOL = prefix('2001:db8:100::/48');
const PD_LEN = 56;
let home: Proc;
let cap: { proc: Proc; file: string } | undefined;
const seen: { homeLinkLocal?: Uint8Array; delegated?: Prefix; address?: Uint8Array } = {};
const need = <T>(v: T | undefined, what: string): T => {
  if (v === undefined) throw new Error(`not reached: ${what} (an earlier test failed)`);
  return v;
};
/** pppd's words when IPV6CP cannot open: our home Protocol-Rejected it, never answered, or refused every option. */
const NO_IPV6CP = /Protocol-Reject for 'IPv6 Control Protocol'|IPV6CP: timeout sending Config-Requests|IPV6CP terminated/;

const homeEvent = (type: string, ms: number, shape: string): Promise<JsonLine> =>
  home.waitFor((l) => l.kind === 'home' && (l.event as { type?: string } | undefined)?.type === type, ms, `home event ${type} (${shape})`);

before(async () => {
  if (skip) return;
  requireLab();
  requireAddon();
  const labNs = vms.up(`${NAME}${lab.tag}b`);
  const homeNs = lab.ns('h');
  vms.veth(labNs, 'v6labh1', homeNs);
  writeFileSync(TOPO, labHomeTopology('v6lab-home', 'v6labh1', { ipv6: true }));
  await vms.run('pppoe-server', labNs, VM, ['--set', 'local=10.0.0.1', '--set', 'pool=10.0.0.2', '--set', 'ipv6=1',
    '--set', `wan_prefix=${WAN.text}`, '--set', `pd_pool=${PD_POOL.text}`, '--set', `pd_len=${PD_LEN}`, '--timeout', '90']);
  const file = path.join(work, 'v6labh1.pcapng');
  cap = { proc: await startCapture(lab, homeNs, 'v6labh1', file, `ether src ${ifMac(homeNs, 'v6labh1')}`), file };
  home = lab.pseudonet('home1', homeNs, ['up', TOPO, '--box', 'home1', '--control', CONTROL]);
  await home.waitFor((l) => l.ev === 'ready', 20_000, 'home1 ready');
}, { timeout: 120_000 });

after(async () => {
  if (skip) return;
  try {
    writeFileSync(path.join(work, 'home1.events.json'), JSON.stringify(await controlRequest(CONTROL, '/show/events', 3000), null, 1));
  } catch { /* stopped */ }
  try {
    writeFileSync(path.join(work, 'dibbler-server.log'), (await vms.guest(VM, 'cat /var/log/dibbler/dibbler-server.log', 10)).out);
  } catch { /* VM gone */ }
  const errs = [...(await lab.cleanup()), ...(await vms.cleanup(work))];
  console.error(`ipv6-home-lab: logs and capture in ${work}`);
  assert.deepEqual(errs, []);
}, { timeout: 60_000 });

test('our home and pppd open IPV6CP (RFC 5072) beside IPCP', { skip, timeout: 60_000 }, async () => {
  const on = await homeEvent('online', 45_000, 'IPv4 first: discovery, LCP, CHAP, IPCP');
  assert.ok(on);
  const up = await vms.waitConsole(VM, /LAB: ipv6-up ppp0 local=(\S+) remote=(\S+)/, 20_000, 'IPV6CP with our home (pppd runs ipv6-up only when IPV6CP is Opened)', NO_IPV6CP);
  const local = address(up[1]!, 'pppd link-local');
  const remote = address(up[2]!, 'our home\'s link-local as pppd saw it');
  assert.ok(sameAddress(local, address('fe80::1')), `pppd's own link-local is fe80::1 (ipv6_id ::1): ${up[1]}`);
  assert.ok(within(remote, prefix('fe80::/64')) && hasInterfaceId(remote) && !sameAddress(remote, local), `our home's identifier is non-zero and not pppd's: ${up[2]}`);
  seen.homeLinkLocal = remote;
  await vms.waitConsole(VM, /LAB: ipv6-ac ppp0 /, 15_000, 'radvd and dibbler-server started for the session');
});

test('our home takes a SLAAC address from radvd\'s /64 and the /56 dibbler delegates; its LAN /64 is of that /56', { skip, timeout: 60_000 }, async () => {
  need(seen.homeLinkLocal, 'IPV6CP');
  const ac = await vms.waitConsole(VM, /LAB: ipv6-ac ppp0 addr=(\S+) ra=(\S+) pd=(\S+) /, 5_000, 'the server\'s plan for this session');
  const delegatedByVm = prefix(ac[3], 'the VM\'s pd');
  assert.ok(delegatedByVm.len === PD_LEN && prefixWithin(delegatedByVm, PD_POOL), `the VM hands out a /${PD_LEN} of ${PD_POOL.text}: ${delegatedByVm.text}`);
  const up = (await homeEvent('home-ipv6-up', 45_000, 'contract: {type:\'home-ipv6-up\', home, address, delegatedPrefix, lanPrefix}')).event as { home?: string; address?: string; delegatedPrefix?: string; lanPrefix?: string };
  assert.equal(up.home, 'home1');
  const addr = address(String(up.address), 'home-ipv6-up address');
  assert.ok(within(addr, WAN) && hasInterfaceId(addr), `SLAAC: ${up.address} is in radvd's ${WAN.text} with an interface identifier`);
  const d = prefix(up.delegatedPrefix, 'home-ipv6-up delegatedPrefix');
  assert.ok(samePrefix(d, delegatedByVm), `delegated ${d.text}, the VM's dibbler gives ${delegatedByVm.text}`);
  const lan = prefix(up.lanPrefix, 'home-ipv6-up lanPrefix');
  assert.ok(lan.len === 64 && hostBitsZero(lan) && prefixWithin(lan, d), `the LAN /64 ${lan.text} is of ${d.text}`);
  seen.delegated = d;
  seen.address = addr;
  // What an operator sees: show sessions has the ipv6 column (contract: {wanPrefix, delegatedPrefix, address?}).
  const rows = (await controlRequest(CONTROL, '/show/sessions')) as { online: boolean; ipv6?: { wanPrefix?: string; delegatedPrefix?: string; address?: string } }[];
  const v6 = rows[0]?.ipv6;
  assert.ok(v6, `show sessions has ipv6: ${JSON.stringify(rows)}`);
  assert.ok(samePrefix(prefix(v6.wanPrefix, 'show sessions wanPrefix'), WAN), `wanPrefix ${v6.wanPrefix}`);
  assert.ok(samePrefix(prefix(v6.delegatedPrefix, 'show sessions delegatedPrefix'), d), `delegatedPrefix ${v6.delegatedPrefix}`);
  if (v6.address !== undefined) assert.ok(sameAddress(address(v6.address, 'show sessions address'), addr), `address ${v6.address}`);
  // And the server agrees: dibbler's log has the REPLY it sent.
  const log = await vms.guest(VM, 'cat /var/log/dibbler/dibbler-server.log', 10);
  assert.match(log.out, /Sending REPLY/, log.out);
});

test('our home pings the server\'s 2001:db8:ffff::1 over IPv6', { skip, timeout: 30_000 }, async () => {
  need(seen.address, 'the SLAAC address');
  const r = (await controlRequest(CONTROL, `/ping?dst=${SERVER6}&count=3&timeout=3000`, 20_000)) as { rtt: number | null }[];
  assert.equal(r.length, 3, JSON.stringify(r));
  assert.ok(r.every((x) => typeof x.rtt === 'number'), `every echo answered: ${JSON.stringify(r)}`);
});

test('the server pings our home\'s address back (RFC 4443 §4.1: an Echo Reply for every Echo Request)', { skip, timeout: 40_000 }, async () => {
  const a = need(seen.address, 'the SLAAC address');
  const r = await vms.guest(VM, `ping6 -c 3 -W 3 ${show6(a)} && echo PING6-OK`, 25);
  assert.match(r.out, /PING6-OK/, `ping6 ${show6(a)} from the VM:\n${r.out}`);
});

test('SIGTERM: our home releases its prefix (DHCPv6 Release) and hangs up; pppd goes down; exit 0', { skip, timeout: 70_000 }, async () => {
  need(seen.delegated, 'the delegated prefix');
  home.signal('SIGTERM');
  const st = await home.waitFor((l) => l.ev === 'stopped', 15_000, 'stopped');
  assert.equal(st.clean, true);
  await home.done;
  assert.equal(home.exited, 0);
  await vms.waitConsole(VM, /LAB: ip-down/, 20_000, 'pppd saw the hang-up');
  // dumpcap writes frames out a block at a time: the home's last frame (its PADT) in the file
  // first, then dumpcap stopped (it writes what it holds as it exits; a SIGKILL would lose it).
  const running = cap?.proc.exited === undefined;
  if (cap) await captured(cap.file, 'pppoed.code == 0xa7', 10_000);
  await cap?.proc.stop('SIGTERM', 20_000);
  const release = cap ? frames(cap.file, 'dhcpv6.msgtype == 8') : [];
  assert.ok(release.length >= 1, `a DHCPv6 Release (type 8) left our home before it hung up (RFC 8415 §18.2.7); dumpcap was ${running ? 'running' : 'already gone'} and exited ${cap?.proc.exited}; its stderr: ${cap?.proc.stderr.slice(-500)}`);
});

test('tshark: every IPv6, ICMPv6, NDP, DHCPv6 and IPV6CP frame our home sent dissects clean (checksums checked)', { skip, timeout: 30_000 }, async () => {
  assert.ok(cap, 'the capture started');
  await cap.proc.stop('SIGTERM', 20_000);
  const { problems, judged } = judgeIpv6([cap.file], work);
  assert.deepEqual(problems, [], JSON.stringify(judged, null, 1));
  const only = path.join(work, 'v6labh1.ipv6.pcapng');
  // Not vacuous: what our home must have sent. (Not a Router Solicitation: radvd's first unsolicited
  // RA may come before the home's RS delay of RFC 4861 §6.3.7 has passed, and then none is needed.)
  const want: [string, string][] = [
    ['ipv6cp && ppp.code == 1', 'IPV6CP Configure-Request'],
    ['ipv6cp && ppp.code == 2', 'IPV6CP Configure-Ack'],
    ['dhcpv6.msgtype == 1', 'DHCPv6 Solicit'],
    ['dhcpv6.msgtype == 3 || (dhcpv6.msgtype == 1 && dhcpv6.option.type == 14)', 'DHCPv6 Request (or a Solicit with Rapid Commit)'],
    ['icmpv6.type == 128', 'Echo Request'],
    ['icmpv6.type == 129', 'Echo Reply'],
  ];
  const absent = want.filter(([flt]) => frames(only, flt).length === 0).map(([, what]) => what);
  assert.deepEqual(absent, [], `frames our home never sent:\n${JSON.stringify(judged, null, 1)}`);
});
