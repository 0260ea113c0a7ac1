/** L2TP codec and data-path benchmarks (bench/run.ts). Names start with "l2tp". */
import { l2tp, l2tpWithSecret, writeDataHeader, L2tpDataView, dataHeaderLength } from '../src/wire/l2tp.js';
import { pppoeToL2tp, l2tpToPppoe } from '../src/roles/framing.js';
import { encode } from '../src/wire/result.js';
import { everyMessage, SAMPLE_SECRET } from '../test/helpers/l2tp-samples.js';
import { L2tpNode, encodeTransmit } from '../src/proto/l2tp.js';
import type { BenchEntry } from './bench.js';

const samples = everyMessage();
const sccrq = samples.find((s) => s.name === 'SCCRQ')!.message;
const iccn = samples.find((s) => s.name === 'ICCN with all eight proxy AVPs')!.message;
const hiddenIccn = samples.find((s) => s.name === 'ICCN with hidden proxy AVPs')!.message;
const sccrqBytes = encode(l2tp, sccrq);
const iccnBytes = encode(l2tp, iccn);
const withSecret = l2tpWithSecret(SAMPLE_SECRET);
const hiddenBytes = encode(withSecret, hiddenIccn);
const out = new Uint8Array(2048);

let sink = 0;

/** A buffer holding a PPP frame of `n` octets (FF 03 + protocol + data) after `headroom` free octets. */
function frameBuffer(n: number, headroom: number): Uint8Array {
  const b = new Uint8Array(headroom + n);
  b[headroom] = 0xff;
  b[headroom + 1] = 0x03;
  b[headroom + 2] = 0x00;
  b[headroom + 3] = 0x21;
  return b;
}

function dataPath(n: number): BenchEntry[] {
  const hdr = dataHeaderLength(false, false);
  const enc = frameBuffer(n, hdr);
  const decBuf = frameBuffer(n, hdr);
  writeDataHeader(decBuf, 0, 0x3b7f, 0x9050, decBuf.length);
  const view = new L2tpDataView();
  return [
    { name: `l2tp data encapsulate ${n}B (header into headroom)`, fn: () => { sink += writeDataHeader(enc, 0, 0x3b7f, 0x9050, enc.length); } },
    { name: `l2tp data decapsulate ${n}B (reused view)`, fn: () => { if (view.parse(decBuf)) sink += view.payloadLength; } },
  ];
}

/** The relay's rewrite (the sse's, src/roles/framing.ts) on an established call: PPPoE → L2TP and back, in place. */
function relaySwap(n: number): BenchEntry {
  const { lac } = controlRun(1, 1);
  const tunnelKey = lac.tunnelInfo()[0]!.tunnelId * 0x10000;
  let key = -1;
  for (let sid = 1; sid <= 0xffff && key < 0; sid++) if (lac.sessionInfo(tunnelKey + sid)) key = tunnelKey + sid;
  // [2 headroom][Eth 14][PPPoE 6][PPP: protocol onwards, n-2 octets]
  const swap = new Uint8Array(2 + 14 + 6 + n - 2);
  const home = Uint8Array.of(2, 0x10, 0, 0, 0, 1);
  const ac = Uint8Array.of(2, 0x20, 0, 0, 0, 1);
  swap.set([0x11, 0x00, 0x00, 0x07, (n - 2) >> 8, (n - 2) & 0xff, 0x00, 0x21], 2 + 14);
  const view = new L2tpDataView();
  return {
    name: `l2tp PPPoE⇄L2TP header swap in place ${n}B (the sse's relay)`,
    ops: 2,
    fn: () => {
      const m = pppoeToL2tp(lac, key, swap, 2 + 14 + 6, n - 2)!;
      view.parse(swap, m.byteOffset, m.length);
      sink += l2tpToPppoe(swap, view.payloadOffset, view.payloadLength, home, ac, 7)!.length;
    },
  };
}

/**
 * One LAC and one LNS node passing datagrams to each other directly (no clock, no network):
 * `sessions` incoming calls over `tunnels` tunnels, until all are up. Returns the two nodes.
 */
function controlRun(tunnels: number, sessions: number): { lac: L2tpNode<number>; lns: L2tpNode<string>; handled: number; ms: number } {
  const lac = new L2tpNode<number>({ role: 'lac', hostName: 'sse-1' });
  const lns = new L2tpNode<string>({ role: 'lns', hostName: 'nte-a' });
  const t0 = performance.now();
  let now = 0;
  for (let i = 0; i < sessions; i++) lac.openSession({ lns: i % tunnels }, now);
  let up = 0;
  while (up < sessions) {
    let moved = false;
    for (let t = lac.pollTransmit(); t; t = lac.pollTransmit()) { lns.handle(`lac${t.to}`, encodeTransmit(t), now); moved = true; }
    for (let t = lns.pollTransmit(); t; t = lns.pollTransmit()) { lac.handle(Number(t.to.slice(3)), encodeTransmit(t), now); moved = true; }
    for (let e = lac.pollEvent(); e; e = lac.pollEvent()) if (e.type === 'session-up') up++;
    while (lns.pollEvent());
    if (!moved) {
      now = Math.min(lac.nextTimeout() ?? Infinity, lns.nextTimeout() ?? Infinity);
      lac.handleTimeout(now);
      lns.handleTimeout(now);
    }
  }
  const ms = performance.now() - t0;
  return { lac, lns, handled: lac.counters.datagramsIn + lns.counters.datagramsIn, ms };
}

/** Engine data path: an established session; header written into headroom / view looked up. */
function engineDataPath(n: number): BenchEntry[] {
  const { lac } = controlRun(1, 1);
  const tunnelKey = lac.tunnelInfo()[0]!.tunnelId * 0x10000;
  let key = -1;
  for (let sid = 1; sid <= 0xffff && key < 0; sid++) if (lac.sessionInfo(tunnelKey + sid)) key = tunnelKey + sid;
  const info = lac.sessionInfo(key)!;
  const hl = dataHeaderLength(false, false);
  const enc = frameBuffer(n, hl);
  const dec = frameBuffer(n, hl);
  writeDataHeader(dec, 0, info.tunnelId, info.sessionId, dec.length);
  const view = new L2tpDataView();
  return [
    { name: `l2tp engine encapsulate ${n}B (writeDataHeaderFor)`, fn: () => { sink += lac.writeDataHeaderFor(key, enc, 0, n); } },
    { name: `l2tp engine decapsulate ${n}B (view + sessionForData)`, fn: () => { if (view.parse(dec)) sink += lac.sessionForData(view); } },
    { name: `l2tp engine sendData+pollTransmit ${n}B (allocates)`, fn: () => { lac.sendData(key, enc.subarray(hl)); sink += lac.pollTransmit() ? 1 : 0; } },
  ];
}

export default [
  {
    name: 'l2tp engine control',
    measure: () => {
      controlRun(10, 2000); // warm up
      const r = controlRun(10, 20_000);
      return { 'messages handled/s (20,000 calls over 10 tunnels)': (r.handled / r.ms) * 1000, 'calls set up/s': (20_000 / r.ms) * 1000 };
    },
  },
  ...engineDataPath(64),
  ...engineDataPath(1400),
  { name: 'l2tp parse control SCCRQ', fn: () => { const r = l2tp.parse(sccrqBytes); if (r.ok) sink++; } },
  { name: 'l2tp emit control SCCRQ', fn: () => { sink += l2tp.emit(sccrq, out, 0); } },
  { name: 'l2tp parse ICCN with 8 proxy AVPs', fn: () => { const r = l2tp.parse(iccnBytes); if (r.ok) sink++; } },
  { name: 'l2tp emit ICCN with 8 proxy AVPs', fn: () => { sink += l2tp.emit(iccn, out, 0); } },
  { name: 'l2tp parse ICCN with 5 hidden AVPs (secret)', fn: () => { const r = withSecret.parse(hiddenBytes); if (r.ok) sink++; } },
  { name: 'l2tp emit ICCN with 5 hidden AVPs (secret)', fn: () => { sink += withSecret.emit(hiddenIccn, out, 0); } },
  ...dataPath(64),
  ...dataPath(1400),
  relaySwap(64),
  relaySwap(1400),
] satisfies BenchEntry[];
