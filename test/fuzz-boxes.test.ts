/**
 * `npm run fuzz -- --boxes` with a small N: every box of the in-process network (carrier
 * RADIUS lookup on and off) takes 2,000 hostile frames per port without a throw while the
 * live session keeps every ping, and what the boxes answer is well-formed for tshark.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { tsharkAvailable, tsharkProblems } from './helpers/tshark.js';
import { parseCapture } from '../src/wire/pcap.js';
import { internetChecksum } from '../src/wire/checksum.js';

const COUNT = 2000;
// Every box of topologies/default.yaml (one home: the live one), with the LNS lookup by carrier RADIUS and by the static table.
const BOXES = ['sse', 'carrier-radius', 'router', 'server', 'nte-a', 'isp-a-radius', 'nte-b', 'isp-b-radius', 'home1'];
const EXPECTED = [...BOXES, ...BOXES.filter((b) => b !== 'carrier-radius').map((b) => `${b}@static-lookup`)];
const PORTS: Record<string, number> = { sse: 2, router: 2, 'nte-a': 3, 'nte-b': 3 };

test(`box fuzzer: ${COUNT} hostile frames per port, no throw, every ping answered, tshark finds nothing malformed in the answers`, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'boxfuzz-'));
  try {
    const pcap = path.join(dir, 'responses.pcapng');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'fuzz/run.ts', '--boxes', '--count', String(COUNT), '--seed', '7', '--rate', '250', '--responses', pcap, '--response-limit', '3000'], { encoding: 'utf8', timeout: 120_000 });
    const out = r.stdout;
    assert.equal(r.status, 0, `exit status ${r.status}\n${out}\n${r.stderr}`);
    assert.match(out, /^fuzz: boxes, seed 7, /m, 'the run prints its seed');
    const lines = out.split('\n').filter((l) => l.startsWith('fuzz: box '));
    const seen = new Map<string, RegExpMatchArray>();
    for (const l of lines) {
      const m = l.match(/^fuzz: box (\S+): (\d+) frames, (\d+) throws, live session (\d+)\/(\d+) pings$/);
      assert.ok(m, `line in the issue's format: ${l}`);
      seen.set(m[1]!, m);
    }
    assert.deepEqual([...seen.keys()], EXPECTED, 'one line per box');
    for (const [name, m] of seen) {
      const ports = PORTS[name.replace('@static-lookup', '')] ?? 1;
      assert.ok(Number(m[2]) >= COUNT * ports, `${name}: at least ${COUNT} frames on each of its ${ports} ports`);
      assert.equal(Number(m[3]), 0, `${name}: no throw`);
      assert.ok(Number(m[5]) >= 5, `${name}: the live session pinged during the phase`);
      assert.equal(m[4], m[5], `${name}: every ping answered`);
    }

    // What the boxes sent during their phases.
    const cap = parseCapture(new Uint8Array(readFileSync(pcap)));
    assert.ok(cap.ok);
    assert.ok(cap.value.packets.length > 1000, `answers recorded: ${cap.value.packets.length}`);
    // A frame that quotes what it answers (ICMP errors, RFC 792; Configure-Reject, RFC 1661 §5.4, which MUST carry the
    // rejected options unmodified, bad lengths and all, as pppd's does; Code-/Protocol-Reject, §5.6-5.7)
    // carries the attacker's bytes on purpose: its own headers are checked here, the quote is not tshark's business.
    const quoting = new Set<number>();
    if (!tsharkAvailable()) assert.fail('tshark is needed for this test (apt-get install tshark)');
    cap.value.packets.forEach((p, i) => {
      const b = p.data;
      const type = (b[12]! << 8) | b[13]!;
      if (type === 0x0800 && b[23] === 1 && [3, 11, 12].includes(b[14 + (b[14]! & 15) * 4]!)) {
        const hl = (b[14]! & 15) * 4;
        const total = (b[16]! << 8) | b[17]!;
        assert.equal(internetChecksum(b, 14, 14 + hl), 0, `frame ${i + 1}: IPv4 header checksum of the ICMP error`);
        assert.equal(internetChecksum(b, 14 + hl, 14 + total), 0, `frame ${i + 1}: ICMP checksum`);
        assert.ok(total <= 576, `frame ${i + 1}: an ICMP error fits in 576 octets (RFC 1812 §4.3.2.3)`);
        quoting.add(i + 1);
      }
      if (type === 0x8864 && b.length >= 24 && b[20] === 0xc0 && b[21] === 0x21 && (b[22] === 7 || b[22] === 8)) quoting.add(i + 1);
    });
    // tshark infers "duplicate IP address" across frames from the spoofed ARP the fuzzer sent: not a property of one frame.
    // The same quoting frames inside PPPoE and L2TP (the home's and the LNS's), found by tshark's own dissection:
    // ICMPv6 errors quote as much of the packet as fits (RFC 4443 §2.4 (c)), IPV6CP rejects as LCP's do.
    const inner = execFileSync('tshark', ['-r', pcap, '-Y', 'icmp.type == 3 || icmp.type == 11 || icmp.type == 12 || icmpv6.type == 1 || icmpv6.type == 2 || icmpv6.type == 3 || icmpv6.type == 4 || ((lcp || ipcp || ipv6cp) && (ppp.code == 4 || ppp.code == 7 || ppp.code == 8))', '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    for (const n of inner.split('\n').filter(Boolean)) quoting.add(Number(n));
    const problems = tsharkProblems(pcap).filter((x) => !quoting.has(x.frame) && !/^Duplicate IP address configured/.test(x.message));
    assert.deepEqual(problems.slice(0, 20), [], `${problems.length} problems in the boxes' answers`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
