import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseTopology, loadTopology, TopologyError } from '../../src/config/topology.js';

test('the built-in default topology is valid: two ISPs, three homes', () => {
  const t = loadTopology('topologies/default.yaml');
  assert.deepEqual(t.isps.map((i) => [i.name, i.lcpPolicy]), [['isp-a', 'accept-proxy'], ['isp-b', 'renegotiate']]);
  assert.equal(t.homes.length, 3);
  assert.equal(t.sse.mru, 1454);
});

function problems(text: string): string[] {
  try {
    parseTopology(text, 'bad.yaml');
  } catch (e) {
    assert.ok(e instanceof TopologyError);
    return e.problems;
  }
  assert.fail('expected a TopologyError');
}

const base = readFileSync('topologies/default.yaml', 'utf8');

test('a typo in a key is reported with its path', () => {
  const p = problems(base.replace('lcpPolicy: renegotiate', 'lcpPolicyy: renegotiate'));
  assert.deepEqual(p, ['isps[1]: Unrecognized key: "lcpPolicyy"']);
});

test('a bad value is reported with its path and what was expected', () => {
  const p = problems(base.replace('address: 192.0.2.2,', 'address: 192.0.2.256,'));
  assert.deepEqual(p, ['isps[1].lns.address: an IPv4 address like 192.0.2.1']);
  assert.deepEqual(problems(base.replace('lcpPolicy: renegotiate', 'lcpPolicy: sometimes')).length, 1);
});

test('cross-field mistakes are reported: duplicate domains, users outside their domain, unknown links, duplicate box names', () => {
  const p = problems(
    base
      .replace('domain: isp-b.example', 'domain: isp-a.example')
      .replace('links:\n', 'links:\n  acess: { loss: 0.1 }\n')
      .replace('name: home3', 'name: home2'),
  );
  assert.ok(p.includes('isps[1].domain: "isp-a.example" is already the domain of isps[0]'), p.join('\n'));
  assert.ok(p.includes('isps[1].users[0].name: "carol@isp-b.example" is not in the domain isp-a.example'), p.join('\n'));
  assert.ok(p.some((x) => x.startsWith('links.acess: no such link')), p.join('\n'));
  assert.ok(p.includes('homes[2].name: the box name "home2" is used twice'), p.join('\n'));
});

test('YAML syntax errors are reported, not thrown raw', () => {
  const p = problems('sse: [unclosed');
  assert.equal(p.length >= 1, true);
});

test('a missing file is a clear error', () => {
  assert.throws(() => loadTopology('/nonexistent/x.yaml'), /cannot read: ENOENT/);
});
