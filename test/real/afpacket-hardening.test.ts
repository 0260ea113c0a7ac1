/**
 * The AF_PACKET addon under hostile conditions (issue 14 item 5), in namespaces and veth
 * pairs of this test's own (all named afp-*): a socket opened while another interface floods
 * sees none of its frames; an oversize frame in the middle of a batch is counted and every
 * other frame goes out exactly once; closing twice is harmless; an unclosed socket that is
 * garbage-collected is closed (descriptor and libuv handle); a failed open leaves no
 * descriptor; a UDP checksum the addon completes as 0 goes out as 0xFFFF (RFC 768).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Lab, ROOT, notRoot, requireAddon, sh, type Proc } from './lab.js';

const skip = notRoot();
const lab = new Lab();
const AGENT = path.join(ROOT, 'test/real/afpacket-hardening-agent.ts');
const BLAST = path.join(ROOT, 'test/real/afpacket-agent.ts');
// Names of ours: afp-<tag>-<x> for namespaces (tag: this process), afp-<x> for the veths inside them.
const NS = { a: `afp-${lab.tag}-a`, b: `afp-${lab.tag}-b` };

function netns(name: string): void {
  if (sh('ip', ['netns', 'list']).split('\n').some((l) => l.split(' ')[0] === name)) sh('ip', ['netns', 'del', name]);
  sh('ip', ['netns', 'add', name]);
  lab.atCleanup(() => void sh('ip', ['netns', 'del', name]));
  sh('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  // IPv6 off: no router solicitations or DAD frames on our links.
  sh('ip', ['netns', 'exec', name, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
}

const agent = (name: string, ns: string, args: string[], nodeFlags: string[] = []): Proc => lab.spawn(name, ns, process.execPath, [...nodeFlags, '--import', 'tsx', AGENT, ...args]);

before(() => {
  if (skip) return;
  requireAddon();
  netns(NS.a);
  netns(NS.b);
  // a: afp-x0 (its peer afp-x1 in b floods it), afp-y0 + afp-y1 (a pair inside a), afp-c0 (10.77.0.1/24)
  // b: afp-x1, afp-c1 (no address: the addon's socket reads what a's kernel sends)
  lab.veth(NS.a, 'afp-x0', NS.b, 'afp-x1');
  lab.veth(NS.a, 'afp-y0', NS.a, 'afp-y1');
  lab.veth(NS.a, 'afp-c0', NS.b, 'afp-c1');
  sh('ip', ['-n', NS.a, 'addr', 'add', '10.77.0.1/24', 'dev', 'afp-c0']);
});

after(async () => {
  if (skip) return;
  const errs = await lab.cleanup();
  assert.deepEqual(errs, []);
});

test('a socket opened 300 times while another interface floods sees none of its frames, and still gets its own', { skip, timeout: 40_000 }, async () => {
  const flood = lab.script('flood', NS.b, BLAST, ['blast', 'afp-x1', '8000', '64']);
  await new Promise((r) => setTimeout(r, 500)); // the flood is running
  const p = agent('foreign', NS.a, ['foreign', 'afp-y0', 'afp-y1', '300']);
  const r = (await p.waitFor((l) => l.ev === 'foreign', 30_000, 'the foreign result')) as { opens: number; delivered: number; foreign: number; outgoing: number; own: number; other: number };
  const f = (await flood.waitFor((l) => l.ev === 'blast', 15_000, 'the flood figures')) as { txFrames: number; seconds: number };
  assert.ok(f.txFrames / f.seconds > 20_000, `the other interface was flooded (${Math.round(f.txFrames / f.seconds)} frames/s)`);
  assert.equal(r.delivered, 0, `no frame reached a port during the ${r.opens} opens`);
  assert.equal(r.foreign, 0, 'and none even reached the socket (the ifindex check had nothing to drop)');
  assert.equal(r.own, 100, 'frames of its own interface arrive');
  assert.equal(r.other, 0, 'and nothing else');
});

for (const [where, big] of [
  ['the first frame of the second sendmmsg (after 256 sent), one in that sendmmsg, the last', '256,380,599'],
  ['one inside the first sendmmsg, one inside the second', '100,300'],
] as const) {
  test(`oversize frames in the middle of a batch (${where}) are counted; every other frame goes out exactly once`, { skip, timeout: 30_000 }, async () => {
    const p = agent('oversize', NS.a, ['oversize', 'afp-y0', 'afp-y1', big]);
    const r = (await p.waitFor((l) => l.ev === 'oversize', 20_000, 'the oversize result')) as { n: number; big: number[]; counts: number[]; tx: { txFrames: number; txDropped: { oversize: number; down: number; refused: number; queueFull: number } }; lastError?: string; lastCode?: string };
    const bad = new Set(big.split(',').map(Number));
    assert.deepEqual(new Set(r.big), bad);
    // Counted on the receiving veth end.
    const twice = r.counts.flatMap((c, i) => (c > 1 ? [i] : []));
    const missing = r.counts.flatMap((c, i) => (c === 0 && !bad.has(i) ? [i] : []));
    assert.deepEqual(twice, [], 'no frame was received twice');
    assert.deepEqual(missing, [], 'no frame was lost');
    for (const i of bad) assert.equal(r.counts[i], 0, `the 9,000-byte frame ${i} did not go out`);
    assert.equal(r.tx.txFrames, 600 - bad.size);
    assert.deepEqual(r.tx.txDropped, { queueFull: 0, oversize: bad.size, down: 0, refused: 0 });
    assert.equal(r.lastCode, 'EMSGSIZE');
    assert.match(r.lastError ?? '', /9000-byte frame: EMSGSIZE \(longer than the MTU 1500 of afp-y0/);
  });
}

test('an unclosed socket that is garbage-collected is closed: descriptor gone, libuv handle gone (the process exits by itself)', { skip, timeout: 30_000 }, async () => {
  const p = agent('gc', NS.a, ['gc', 'afp-y1', 'afp-y0'], ['--expose-gc']);
  const r = (await p.waitFor((l) => l.ev === 'gc', 20_000, 'the gc result')) as { lost?: string; lostClosed: boolean; collectedMs: number; keptOpen: boolean; keptReceived: number; leftover: number };
  assert.ok(r.lost, 'the unclosed socket had a descriptor');
  assert.ok(r.lostClosed, `its descriptor is closed after collection (${r.collectedMs} ms)`);
  assert.ok(r.keptOpen, 'a socket still referenced is not closed by the collections');
  assert.equal(r.keptReceived, 10, 'and still receives');
  assert.equal(r.leftover, 0, 'every socket opened is closed');
  const exited = await Promise.race([p.done.then(() => true), new Promise<boolean>((res) => setTimeout(() => res(false), 10_000))]);
  assert.ok(exited, 'the process exits by itself: no poll handle keeps the loop alive');
  assert.equal(p.exited, 0, p.tail());
});

test('close after close is harmless: another socket opened in between keeps working; calls on a closed socket fail with EBADF', { skip, timeout: 20_000 }, async () => {
  const p = agent('closetwice', NS.a, ['closetwice', 'afp-y0', 'afp-y1']);
  const r = (await p.waitFor((l) => l.ev === 'closetwice', 15_000, 'the closetwice result')) as Record<string, unknown>;
  assert.equal(r.aClosed, true, 'the first close closed the descriptor');
  assert.deepEqual(r.closes, ['ok', 'ok'], 'closing again (twice) neither throws nor crashes');
  assert.equal(r.bOpen, true, 'the socket opened between the closes is still open');
  assert.equal(r.bRecv, 'ok', 'and usable');
  assert.equal(r.aRecv, 'EBADF');
  assert.equal(r.aSetEvents, 'EBADF');
  assert.equal(r.notHandle, 'ok', 'close() of something that is not a handle is ignored');
  assert.equal(r.js, 'ok', 'AfPacket: close twice, then send/flush/kernelStats/ref: no throw');
  assert.equal(r.leftover, 0, 'nothing left open');
  await p.done;
  assert.equal(p.exited, 0, p.tail());
});

test('an open that fails after socket() leaves no descriptor behind (200 opens of a missing interface)', { skip, timeout: 20_000 }, async () => {
  const p = agent('nodev', NS.a, ['nodev', '200']);
  const r = (await p.waitFor((l) => l.ev === 'nodev', 15_000, 'the nodev result')) as { codes: string[]; leftover: number };
  assert.deepEqual(r.codes, ['ENODEV']);
  assert.equal(r.leftover, 0, 'no socket descriptor left open');
});

/** The Internet checksum (RFC 1071) over `b`, folded, before the final complement. */
function onesSum(b: Uint8Array, init = 0): number {
  let s = init;
  for (let i = 0; i + 1 < b.length; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (b.length & 1) s += b[b.length - 1]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** Sum of the UDP pseudo header (RFC 768: source, destination, zero, protocol 17, UDP length). */
function pseudoSum(src: number[], dst: number[], len: number): number {
  return onesSum(new Uint8Array([...src, ...dst, 0, 17, len >> 8, len & 0xff]));
}

/** The pseudo header plus a UDP header whose checksum field is 0, for `len` bytes of UDP. */
function udpPrefixSum(src: number[], dst: number[], sport: number, dport: number, len: number): number {
  return onesSum(new Uint8Array([sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, len >> 8, len & 0xff, 0, 0]), pseudoSum(src, dst, len));
}

test('a kernel UDP datagram whose checksum the addon completes to 0 goes out as 0xFFFF (RFC 768); another keeps its computed checksum', { skip, timeout: 30_000 }, async () => {
  const SRC = [10, 77, 0, 1];
  const DST = [10, 77, 0, 2];
  const [SPORT, DPORT] = [40_001, 9];
  // Payload 1: 30 fixed bytes, then a 16-bit word chosen so the one's-complement sum of the
  // pseudo header, header and payload is 0xFFFF: the computed checksum is ~0xFFFF = 0.
  const fixed = Uint8Array.from({ length: 30 }, (_, i) => (i * 37 + 11) & 0xff);
  const len = 8 + fixed.length + 2;
  const partial = onesSum(fixed, udpPrefixSum(SRC, DST, SPORT, DPORT, len));
  const word = 0xffff - partial;
  const zeroCase = new Uint8Array([...fixed, word >> 8, word & 0xff]);
  assert.equal(onesSum(zeroCase, udpPrefixSum(SRC, DST, SPORT, DPORT, len)), 0xffff, 'the constructed payload sums to 0xFFFF');
  const normal = Uint8Array.from({ length: 32 }, (_, i) => i);
  const normalSum = (~onesSum(normal, udpPrefixSum(SRC, DST, SPORT, DPORT, 8 + normal.length)) & 0xffff);
  assert.notEqual(normalSum, 0);

  const rx = agent('udprecv', NS.b, ['udprecv', 'afp-c1', '2', '15000']);
  const l = (await rx.waitFor((x) => x.ev === 'listening', 15_000, 'the receiver')) as { mac: string };
  const mac = l.mac.match(/../g)!.join(':');
  // No ARP: a's kernel sends straight to the receiving interface's MAC.
  sh('ip', ['-n', NS.a, 'neigh', 'replace', '10.77.0.2', 'lladdr', mac, 'dev', 'afp-c0', 'nud', 'permanent']);
  const tx = agent('udpsend', NS.a, ['udpsend', '10.77.0.2', String(SPORT), String(DPORT), Buffer.from(zeroCase).toString('hex'), Buffer.from(normal).toString('hex')]);
  await tx.waitFor((x) => x.ev === 'sent', 15_000, 'the datagrams sent');
  const r = (await rx.waitFor((x) => x.ev === 'udp', 20_000, 'the received frames')) as { frames: string[] };
  assert.equal(r.frames.length, 2, rx.tail());
  const frames = r.frames.map((h) => Uint8Array.from(Buffer.from(h, 'hex')));
  const udpOf = (f: Uint8Array): Uint8Array => f.subarray(14 + (f[14]! & 0x0f) * 4);
  const [z, n] = frames.map(udpOf) as [Uint8Array, Uint8Array];
  assert.equal((z[6]! << 8) | z[7]!, 0xffff, 'the checksum that computes to 0 is sent as all ones');
  assert.equal((n[6]! << 8) | n[7]!, normalSum, 'the other datagram carries its computed checksum');
  // Both verify as a receiver checks them: the sum over pseudo header and datagram is 0xFFFF.
  for (const u of [z, n]) {
    assert.equal(onesSum(u, pseudoSum(SRC, DST, u.length)), 0xffff);
  }
});
