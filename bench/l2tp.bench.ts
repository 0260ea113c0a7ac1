/** L2TP codec and data-path benchmarks (bench/run.ts). Names start with "l2tp". */
import { l2tp, l2tpWithSecret, writeDataHeader, L2tpDataView, pppoeToL2tp, l2tpToPppoe, dataHeaderLength } from '../src/wire/l2tp.js';
import { encode } from '../src/wire/result.js';
import { everyMessage, SAMPLE_SECRET } from '../test/helpers/l2tp-samples.js';
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
  // PPPoE session frame: 14 Ethernet + 6 PPPoE + PPP (protocol onwards, n-2 octets), 2 octets headroom in front.
  const swap = new Uint8Array(2 + 14 + 6 + n - 2);
  const pppoe = 2 + 14;
  swap.set([0x11, 0x00, 0x00, 0x07, (n - 2) >> 8, (n - 2) & 0xff, 0x00, 0x21], pppoe);
  return [
    { name: `l2tp data encapsulate ${n}B (header into headroom)`, fn: () => { sink += writeDataHeader(enc, 0, 0x3b7f, 0x9050, enc.length); } },
    { name: `l2tp data decapsulate ${n}B (reused view)`, fn: () => { if (view.parse(decBuf)) sink += view.payloadLength; } },
    {
      name: `l2tp PPPoE⇄L2TP header swap in place ${n}B`,
      ops: 2,
      fn: () => {
        const s = pppoeToL2tp(swap, pppoe, 0x3b7f, 0x9050);
        view.parse(swap, s, swap.length - s);
        sink += l2tpToPppoe(swap, view, 7);
      },
    },
  ];
}

export default [
  { name: 'l2tp parse control SCCRQ', fn: () => { const r = l2tp.parse(sccrqBytes); if (r.ok) sink++; } },
  { name: 'l2tp emit control SCCRQ', fn: () => { sink += l2tp.emit(sccrq, out, 0); } },
  { name: 'l2tp parse ICCN with 8 proxy AVPs', fn: () => { const r = l2tp.parse(iccnBytes); if (r.ok) sink++; } },
  { name: 'l2tp emit ICCN with 8 proxy AVPs', fn: () => { sink += l2tp.emit(iccn, out, 0); } },
  { name: 'l2tp parse ICCN with 5 hidden AVPs (secret)', fn: () => { const r = withSecret.parse(hiddenBytes); if (r.ok) sink++; } },
  { name: 'l2tp emit ICCN with 5 hidden AVPs (secret)', fn: () => { sink += withSecret.emit(hiddenIccn, out, 0); } },
  ...dataPath(64),
  ...dataPath(1400),
] satisfies BenchEntry[];
