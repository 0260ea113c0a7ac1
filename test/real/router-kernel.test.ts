/**
 * Issue 7 against the Linux kernel: the pseudonet router on real Ethernet (AF_PACKET on
 * veths) between two network namespaces with kernel IP stacks. The kernels resolve the
 * router with ARP, ping across it, and a UDP traceroute shows the router's hop.
 *
 *   ka 10.71.1.2 ─ veth ─ [ra | pseudonet router in kr | rb] ─ veth ─ kb 10.71.2.2
 *                           10.71.1.1            10.71.2.1
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Lab, ROOT, notRoot, requireAddon, type Proc } from './lab.js';

const skip = notRoot();
const lab = new Lab();
let ka = '';
let kr = '';
let kb = '';
let router: Proc;

before(async () => {
  if (skip) return;
  requireAddon();
  ka = lab.ns('rka');
  kr = lab.ns('rkr');
  kb = lab.ns('rkb');
  lab.veth(ka, 'eth0', kr, 'ra');
  lab.veth(kr, 'rb', kb, 'eth0');
  lab.exec(ka, 'ip', ['addr', 'add', '10.71.1.2/24', 'dev', 'eth0']);
  lab.exec(ka, 'ip', ['route', 'add', 'default', 'via', '10.71.1.1']);
  lab.exec(kb, 'ip', ['addr', 'add', '10.71.2.2/24', 'dev', 'eth0']);
  lab.exec(kb, 'ip', ['route', 'add', 'default', 'via', '10.71.2.1']);
  for (const n of [ka, kb]) lab.exec(n, 'sysctl', ['-qw', 'net.ipv4.ping_group_range=0 2147483647', 'net.ipv4.icmp_ratelimit=0']);
  router = lab.script('router', kr, path.join(ROOT, 'test/real/router-agent.ts'), ['ra', '10.71.1.1/24', 'rb', '10.71.2.1/24']);
  await router.waitFor((l) => l.ev === 'ready', 20_000, 'the router to open its ports');
});

after(async () => {
  if (skip) return;
  assert.deepEqual(await lab.cleanup(), []);
});

/** Python in a namespace: the kernel's ping socket, and a UDP traceroute reading ICMP on a raw socket. */
const PROBE = String.raw`
import json, socket, struct, sys, time
mode, dst = sys.argv[1], sys.argv[2]
if mode == 'ping':
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP); s.settimeout(3)
    rtts = []
    for seq in range(3):
        t = time.monotonic(); s.sendto(struct.pack('!BBHHH', 8, 0, 0, 0, seq) + b'pseudonet', (dst, 0))
        d, a = s.recvfrom(2000); rtts.append((time.monotonic() - t) * 1000)
        assert d[0] == 0 and struct.unpack('!H', d[6:8])[0] == seq, d
    print(json.dumps({'ev': 'ping', 'from': a[0], 'replies': len(rtts), 'rtt_ms': rtts}))
else:
    icmp = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP); icmp.settimeout(3)
    hops = []
    for ttl in range(1, 6):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
        u.sendto(b'traceroute', (dst, 33433 + ttl))
        while True:
            d, a = icmp.recvfrom(2000)
            hl = (d[0] & 15) * 4; t, c = d[hl], d[hl + 1]
            q = d[hl + 8:]; qhl = (q[0] & 15) * 4
            if socket.inet_ntoa(q[16:20]) == dst and struct.unpack('!H', q[qhl + 2:qhl + 4])[0] == 33433 + ttl: break
        hops.append({'ttl': ttl, 'from': a[0], 'type': t, 'code': c})
        if t == 3: break
    print(json.dumps({'ev': 'trace', 'hops': hops}))
`;

function probe(ns: string, mode: 'ping' | 'trace', dst: string): Record<string, unknown> {
  const outp = lab.exec(ns, 'python3', ['-c', PROBE, mode, dst], 30_000);
  return JSON.parse(outp.trim().split('\n').pop()!) as Record<string, unknown>;
}

test('kernels resolve the router with ARP and ping across it', { skip, timeout: 60_000 }, () => {
  const r = probe(ka, 'ping', '10.71.2.2');
  assert.equal(r.from, '10.71.2.2');
  assert.equal(r.replies, 3);
  const neigh = lab.exec(ka, 'ip', ['neigh', 'show', '10.71.1.1']);
  assert.match(neigh, /lladdr 02:00:00:00:71:01 (REACHABLE|STALE|DELAY)/, neigh);
  const neighB = lab.exec(kb, 'ip', ['neigh', 'show', '10.71.2.1']);
  assert.match(neighB, /lladdr 02:00:00:00:72:01/, neighB);
  // The kernels also ping the router's own addresses.
  assert.equal(probe(ka, 'ping', '10.71.1.1').from, '10.71.1.1');
  assert.equal(probe(kb, 'ping', '10.71.1.1').from, '10.71.1.1');
});

test('a traceroute from one kernel to the other shows the router\'s hop', { skip, timeout: 60_000 }, async () => {
  const r = probe(ka, 'trace', '10.71.2.2') as { hops: { ttl: number; from: string; type: number; code: number }[] };
  assert.deepEqual(r.hops, [
    { ttl: 1, from: '10.71.1.1', type: 11, code: 0 },
    { ttl: 2, from: '10.71.2.2', type: 3, code: 3 },
  ]);
  router.child.stdin!.write('show\n');
  const s = (await router.waitFor((l) => l.ev === 'show', 5000, 'show')) as unknown as { arp: { ip: string; mac: string; state: string }[]; counters: { forwarded: number; icmpOut: { timeExceeded: number; echoReply: number }; drops: Record<string, number> } };
  assert.deepEqual(s.arp.map((e) => e.ip).sort(), ['10.71.1.2', '10.71.2.2']);
  assert.ok(s.counters.forwarded >= 8, `forwarded ${s.counters.forwarded}`);
  assert.equal(s.counters.icmpOut.timeExceeded, 1);
  assert.equal(s.counters.icmpOut.echoReply, 6);
  assert.equal(s.counters.drops.ipv4Checksum, 0);
});
