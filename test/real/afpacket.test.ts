/**
 * The AF_PACKET attachment (src/io/afpacket.ts + native/afpacket) on a veth pair inside a
 * namespace of this test's own: frames go out in sendmmsg batches and come in through
 * recvmmsg batches intact and in order; received frames stay the receiver's (slab slots
 * are never reused); the kernel's refusal of an oversize frame is counted, not thrown;
 * and the errors a person meets say what to do: no such interface, no CAP_NET_RAW.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Lab, ROOT, notRoot, requireAddon } from './lab.js';

const skip = notRoot();
const lab = new Lab();
const AGENT = path.join(ROOT, 'test/real/afpacket-agent.ts');
let ns = '';

before(() => {
  if (skip) return;
  requireAddon();
  ns = lab.ns('afp');
  lab.veth(ns, 'va', ns, 'vb');
});

after(async () => {
  if (skip) return;
  const errs = await lab.cleanup();
  assert.deepEqual(errs, []);
});

test('5,000 frames of 60..1514 bytes cross a veth pair in batches, intact, in order; kept frames stay intact', { skip, timeout: 30_000 }, async () => {
  const p = lab.script('loop', ns, AGENT, ['loop', 'va', 'vb', '5000']);
  const r = (await p.waitFor((l) => l.ev === 'loop', 25_000, 'the loop result')) as { sent: number; received: number; bad: number; inOrder: boolean; keptIntact: boolean; tx: { txBatches: number; txDropped: { oversize: number; refused: number } }; rx: { rxBatches: number; rxFrames: number; slabs: number }; lastError?: string; kernelDrops: number };
  assert.equal(r.received, 5000, p.tail());
  assert.equal(r.bad, 0, 'no frame altered');
  assert.ok(r.inOrder, 'in order');
  assert.ok(r.keptIntact, 'frames held by the receiver are not overwritten by later reads');
  assert.ok(r.tx.txBatches <= 60, `sent in sendmmsg batches (${r.tx.txBatches} calls for 5,001 frames)`);
  assert.ok(r.rx.rxBatches < r.rx.rxFrames, `read in recvmmsg batches (${r.rx.rxBatches} reads for ${r.rx.rxFrames} frames)`);
  assert.ok(r.rx.slabs > 1, 'slabs are replaced, never reused');
  assert.equal(r.tx.txDropped.oversize, 1, 'the 9,000-byte frame on a 1,500 MTU veth is refused and counted');
  assert.equal(r.tx.txDropped.refused, 0);
  assert.match(r.lastError ?? '', /EMSGSIZE|too long/i);
  assert.equal(r.kernelDrops, 0);
});

test('a missing interface: ENODEV, with the interface name and where to look', { skip, timeout: 20_000 }, async () => {
  const p = lab.script('nodev', ns, AGENT, ['open', 'nosuch0']);
  const r = await p.waitFor((l) => l.ev === 'error' || l.ev === 'opened', 15_000, 'the open result');
  assert.equal(r.code, 'ENODEV');
  assert.match(String(r.message), /cannot open nosuch0: no such network interface/);
});

test('without CAP_NET_RAW: EPERM, saying that CAP_NET_RAW or root is needed', { skip, timeout: 20_000 }, async () => {
  // capsh drops CAP_NET_RAW from the bounding set: the child is root without it.
  const p = lab.spawn('noraw', ns, 'capsh', ['--drop=cap_net_raw', '--', '-c', `exec "${process.execPath}" --import tsx "${AGENT}" open va`]);
  const r = await p.waitFor((l) => l.ev === 'error' || l.ev === 'opened', 15_000, 'the open result');
  assert.equal(r.code, 'EPERM');
  assert.match(String(r.message), /needs CAP_NET_RAW \(run as root/);
});
