/**
 * `pseudonet validate FILE` as a user runs it: topologies that cannot work are refused with
 * exit status 2 and every problem named by the path of its field; hostile YAML (an alias
 * bomb, an oversize or absurdly nested document) the same way, never with a stack trace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_TOPOLOGY_TEXT as base, edit, validateRunner } from '../helpers/validate-run.js';

const { validate } = validateRunner('radius-validate');

const BOB = '{ name: bob@isp-a.example, password: hunter2 }';
const cases: { name: string; text: string; path: string; says: RegExp }[] = [
  { name: 'two users with one name', text: edit(BOB, `${BOB}\n      - { name: bob@isp-a.example, password: other }`), path: 'isps[0].users[2].name', says: /already isps\[0\]\.users\[1\]\.name/ },
  { name: 'two users with one fixed address', text: edit(BOB, '{ name: bob@isp-a.example, password: hunter2, ip: 198.51.100.10 }'), path: 'isps[0].users[1].ip', says: /already the fixed address of isps\[0\]\.users\[0\]/ },
  { name: 'a fixed address that is the gateway', text: edit(BOB, '{ name: bob@isp-a.example, password: hunter2, ip: 198.51.100.1 }'), path: 'isps[0].users[1].ip', says: /gateway isps\[0\]\.gateway/ },
  { name: 'a fixed address that is a DNS address', text: edit(BOB, '{ name: bob@isp-a.example, password: hunter2, ip: 198.51.100.54 }'), path: 'isps[0].users[1].ip', says: /DNS address isps\[0\]\.dns\[1\]/ },
  { name: 'a fixed address in another ISP\'s pool', text: edit(BOB, '{ name: bob@isp-a.example, password: hunter2, ip: 100.64.0.77 }'), path: 'isps[0].users[1].ip', says: /inside isps\[1\]\.pool/ },
  { name: 'overlapping pools of two ISPs', text: edit('pool: 100.64.0.0/24', 'pool: 198.51.100.128/25'), path: 'isps[1].pool', says: /overlaps isps\[0\]\.pool/ },
  { name: 'two ISPs with one LNS address', text: edit('address: 192.0.2.2,', 'address: 192.0.2.1,'), path: 'isps[1].lns.address', says: /already isps\[0\]\.lns\.address/ },
  { name: 'a server whose gateway is off its subnet', text: edit('gateway: 203.0.113.1', 'gateway: 203.0.114.1'), path: 'server.gateway', says: /not on the server's subnet 203\.0\.113\.0\/24/ },
  { name: 'a pool that holds the server', text: edit('pool: 100.64.0.0/24', 'pool: 203.0.113.0/24'), path: 'isps[1].pool', says: /overlaps the server's subnet|holds server\.address/ },
  { name: 'a server gateway that is not the router', text: edit('gateway: 203.0.113.1', 'gateway: 203.0.113.2'), path: 'server.gateway', says: /not the router/ },
  {
    name: 'a YAML alias bomb',
    text: `a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\ni: [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n`,
    path: '(top level)',
    says: /alias/,
  },
  { name: 'an oversize document', text: `${base}\n# ${'x'.repeat(1 << 20)}\n`, path: '(top level)', says: /bytes; at most 1048576/ },
  { name: 'a document nested too deeply', text: `${'['.repeat(200_000)}${']'.repeat(200_000)}\n`, path: '(top level)', says: /./ },
];

// Every run starts now; the tests below wait for theirs.
const results = cases.map((c) => validate(c.name.replace(/\W+/g, '-'), c.text));
const valid = validate('default', base);

cases.forEach((c, i) => {
  test(`validate refuses ${c.name}: exit 2, the path ${c.path}, no stack trace`, async () => {
    const r = await results[i]!;
    assert.equal(r.status, 2, r.output);
    const line = r.output.split('\n').find((l) => l.trim().startsWith(`${c.path}:`));
    assert.ok(line, `a line naming ${c.path}:\n${r.output}`);
    assert.match(line, c.says);
    assert.doesNotMatch(r.output, /^\s+at /m, 'no stack trace');
    assert.doesNotMatch(r.output, /: valid topology/);
  });
});

test('the default topology is valid: exit 0', async () => {
  const r = await valid;
  assert.equal(r.status, 0, r.output);
  assert.match(r.output, /valid topology "flets-default"/);
});
