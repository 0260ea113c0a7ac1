/**
 * `pseudonet validate FILE` on the IPv6 fields of a topology (issue 17): pools that overlap
 * (within an ISP or across two), lengths the LNS cannot cut, users' fixed prefixes of the
 * wrong length, shared, inside another ISP's pool, or on an ISP without ipv6. Each is
 * refused with exit status 2 and the path of the field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { edit, validateRunner } from '../helpers/validate-run.js';

const { validate } = validateRunner('v6nte-validate');

const BOB = '{ name: bob@isp-a.example, password: hunter2 }';
const CAROL = '{ name: carol@isp-b.example, password: s3cret }';
const ISP_B_IPV6 = `${CAROL}\n    ipv6: { wanPrefixPool: 2001:db8:200::/40, pdPool: 2001:db8:4000::/34, pdLength: 56, dns: [2001:db8:ffff:1::53] }`;
const cases: { name: string; text: string; path: string; says: RegExp }[] = [
  { name: 'pdPool overlapping wanPrefixPool', text: edit('pdPool: 2001:db8:8000::/34', 'pdPool: 2001:db8:100::/44'), path: 'isps[0].ipv6.pdPool', says: /overlaps isps\[0\]\.ipv6\.wanPrefixPool/ },
  { name: "a pool overlapping another ISP's", text: edit(CAROL, ISP_B_IPV6.replace('2001:db8:200::/40', '2001:db8:180::/41')), path: 'isps[1].ipv6.wanPrefixPool', says: /overlaps isps\[0\]\.ipv6\.wanPrefixPool 2001:db8:100::\/40/ },
  { name: "a pdPool overlapping another ISP's pdPool", text: edit(CAROL, ISP_B_IPV6.replace('2001:db8:4000::/34', '2001:db8:8000::/40')), path: 'isps[1].ipv6.pdPool', says: /overlaps isps\[0\]\.ipv6\.pdPool/ },
  { name: 'pdLength shorter than pdPool', text: edit('pdPool: 2001:db8:8000::/34', 'pdPool: 2001:db8:8000::/60'), path: 'isps[0].ipv6.pdLength', says: /shorter than pdPool/ },
  { name: 'a wanPrefixPool longer than /64', text: edit('wanPrefixPool: 2001:db8:100::/40', 'wanPrefixPool: 2001:db8:100::/72'), path: 'isps[0].ipv6.wanPrefixPool', says: /holds no \/64/ },
  { name: 'a wanPrefixPool of more than 2^32 /64s', text: edit('wanPrefixPool: 2001:db8:100::/40', 'wanPrefixPool: 2001:db0::/28'), path: 'isps[0].ipv6.wanPrefixPool', says: /more than the 2\^32/ },
  { name: 'a user ipv6Prefix that is not a /64', text: edit(BOB, '{ name: bob@isp-a.example, password: hunter2, ipv6Prefix: 2001:db8:100:20::/60 }'), path: 'isps[0].users[1].ipv6Prefix', says: /not a \/64/ },
  { name: 'a user delegatedPrefix not of pdLength', text: edit(BOB, '{ name: bob@isp-a.example, password: hunter2, delegatedPrefix: 2001:db8:8000:2000::/60 }'), path: 'isps[0].users[1].delegatedPrefix', says: /not a \/56/ },
  { name: 'two users one delegated prefix', text: edit(BOB, '{ name: bob@isp-a.example, password: hunter2, delegatedPrefix: 2001:db8:8000:1000::/56 }'), path: 'isps[0].users[1].delegatedPrefix', says: /overlaps isps\[0\]\.users\[0\]\.delegatedPrefix/ },
  { name: 'two users one WAN prefix', text: edit(BOB, '{ name: bob@isp-a.example, password: hunter2, ipv6Prefix: 2001:db8:100:10::/64 }'), path: 'isps[0].users[1].ipv6Prefix', says: /two users one prefix/ },
  { name: 'a user ipv6 prefix on an ISP without ipv6', text: edit(CAROL, '{ name: carol@isp-b.example, password: s3cret, ipv6Prefix: 2001:db8:300::/64 }'), path: 'isps[1].users[0].ipv6Prefix', says: /has no ipv6/ },
  { name: "a user prefix inside another ISP's pool", text: edit(CAROL, `${ISP_B_IPV6.replace(CAROL, '{ name: carol@isp-b.example, password: s3cret, ipv6Prefix: 2001:db8:100:99::/64 }')}`), path: 'isps[1].users[0].ipv6Prefix', says: /inside isps\[0\]\.ipv6\.wanPrefixPool/ },
  { name: 'a pdPool holding the core link', text: edit('pdPool: 2001:db8:8000::/34', 'pdPool: 2001:db8:8000::/33'), path: 'router.ispSide6', says: /2001:db8:ffff::\/64 is inside isps\[0\]\.ipv6\.pdPool 2001:db8:8000::\/33/ },
  { name: "a pdPool holding the server's link", text: edit('pdPool: 2001:db8:8000::/34', 'pdPool: 2001:db8:8000::/33'), path: 'server.address6', says: /2001:db8:ffff:1::\/64 is inside isps\[0\]\.ipv6\.pdPool/ },
  { name: 'an IPv6 DNS address inside a pool', text: edit('dns: [2001:db8:ffff:1::53]', 'dns: [2001:db8:100:1::53]'), path: 'isps[0].ipv6.dns[0]', says: /inside isps\[0\]\.ipv6\.wanPrefixPool/ },
  { name: "the router off the server's /64", text: edit('serverSide6: 2001:db8:ffff:1::1', 'serverSide6: 2001:db8:ffff:2::1'), path: 'router.serverSide6', says: /not on the server's \/64 2001:db8:ffff:1::\/64/ },
];

const results = cases.map((c) => validate(c.name.replace(/\W+/g, '-'), c.text));
const valid = validate('isp-b-ipv6', edit(CAROL, ISP_B_IPV6));

cases.forEach((c, i) => {
  test(`validate refuses ${c.name}: exit 2, the path ${c.path}`, async () => {
    const r = await results[i]!;
    assert.equal(r.status, 2, r.output);
    const line = r.output.split('\n').find((l) => l.trim().startsWith(`${c.path}:`));
    assert.ok(line, `a line naming ${c.path}:\n${r.output}`);
    assert.match(line, c.says);
    assert.doesNotMatch(r.output, /^\s+at /m, 'no stack trace');
  });
});

test('a second ISP with its own, disjoint IPv6 pools is valid', async () => {
  const r = await valid;
  assert.equal(r.status, 0, r.output);
});
