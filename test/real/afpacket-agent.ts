/**
 * Drives AF_PACKET attachments inside a namespace for test/real/afpacket.test.ts and the
 * --real benchmark. One JSON object per line on stdout. Modes (argv[2]):
 *   loop A B N        send N frames of varying sizes A → B; check order, bytes, slab ownership
 *   blast IF MS SIZE  send frames as fast as the socket takes them for MS ms; report tx figures
 *   sink IF MS        count frames received for MS ms (starts counting at the first frame)
 *   open IF           open and report, or report the error (code, message)
 *   blastip IF DSTMAC SRC DST MS   as blast, with IPv4/UDP frames (for a router in the path)
 */
import { udpPacket } from '../../src/wire/packets.js';
import { ipv4FromString, macFromString } from '../../src/wire/bytes.js';
import { AfPacket, type AfPacketError } from '../../src/io/afpacket.js';

const [mode, ...args] = process.argv.slice(2);
const out = (o: Record<string, unknown>): void => void process.stdout.write(JSON.stringify(o) + '\n');

function frame(dst: Uint8Array, src: Uint8Array, seq: number, size: number): Uint8Array {
  const f = new Uint8Array(size);
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = 0x88; // local experimental EtherType 0x88b5
  f[13] = 0xb5;
  new DataView(f.buffer).setUint32(14, seq);
  for (let i = 18; i < size; i++) f[i] = (seq + i) & 0xff;
  return f;
}

function check(f: Uint8Array): number | undefined {
  if (f.length < 18 || f[12] !== 0x88 || f[13] !== 0xb5) return undefined;
  const seq = new DataView(f.buffer, f.byteOffset).getUint32(14);
  for (let i = 18; i < f.length; i++) if (f[i] !== ((seq + i) & 0xff)) return -1;
  return seq;
}

if (mode === 'open') {
  try {
    const p = new AfPacket(args[0]!, () => {});
    out({ ev: 'opened', ifindex: p.ifindex, mtu: p.mtu });
    p.close();
  } catch (e) {
    out({ ev: 'error', code: (e as AfPacketError).code, message: (e as Error).message });
  }
} else if (mode === 'loop') {
  const n = Number(args[2]);
  const got: number[] = [];
  const kept: Uint8Array[] = [];
  let bad = 0;
  const b = new AfPacket(args[1]!, (f) => {
    const s = check(f);
    if (s === undefined) return;
    if (s < 0) bad++;
    else got.push(s);
    if (kept.length < 32) kept.push(f);
  });
  const a = new AfPacket(args[0]!, () => {});
  const sizes = [60, 64, 128, 512, 1000, 1514];
  // Send in bursts of 200 (one sendmmsg each), then wait for the receiver.
  for (let i = 0; i < n; i++) {
    a.send(frame(b.mac, a.mac, i, sizes[i % sizes.length]!));
    if (i % 200 === 199) await new Promise((r) => setTimeout(r, 2));
  }
  a.send(new Uint8Array(9000).fill(1)); // longer than the MTU: the kernel refuses it
  await new Promise((r) => setTimeout(r, 20));
  const t0 = Date.now();
  while (got.length < n && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 10));
  // Frames kept from the first reads are still intact after thousands more reads: slots are never reused.
  const keptIntact = kept.every((f) => (check(f) ?? -1) >= 0);
  const inOrder = got.every((s, i) => s === i);
  out({ ev: 'loop', sent: a.counters.txFrames, received: got.length, bad, inOrder, keptIntact, tx: a.counters, rx: b.counters, lastError: a.lastError?.message, kernelDrops: b.kernelStats().drops });
  a.close();
  b.close();
} else if (mode === 'blast' || mode === 'blastip') {
  const ip = mode === 'blastip';
  const ms = Number(ip ? args[4] : args[1]);
  const size = ip ? 64 : Number(args[2] ?? 64);
  const p = new AfPacket(args[0]!, () => {}, { promisc: false });
  const dst = ip ? macFromString(args[1]!) : new Uint8Array([0x02, 0, 0, 0, 0, 0xbb]);
  const frames = Array.from({ length: 256 }, (_, i) => {
    if (!ip) return frame(dst, p.mac, i, size);
    const f = udpPacket({ src: ipv4FromString(args[2]!), dst: ipv4FromString(args[3]!), ttl: 64, identification: i }, 40000 + i, 9, new Uint8Array(18), 14);
    f.set(dst, 0);
    f.set(p.mac, 6);
    f[12] = 0x08;
    f[13] = 0x00;
    return f;
  });
  const t0 = performance.now();
  let queued = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      if (performance.now() - t0 >= ms) return resolve();
      // Keep about two batches waiting, so every flush is a full sendmmsg and nothing piles up.
      while (p.txQueued < 512) {
        p.send(frames[queued & 255]!);
        queued++;
      }
      setImmediate(tick);
    };
    tick();
  });
  const dt = (performance.now() - t0) / 1000;
  out({ ev: 'blast', seconds: dt, txFrames: p.counters.txFrames, txPerSecond: p.counters.txFrames / dt, txBatches: p.counters.txBatches, txWaits: p.counters.txWaits, dropped: p.counters.txDropped, size });
  p.close();
} else if (mode === 'sink') {
  const ms = Number(args[1]);
  let t0 = 0;
  let n = 0;
  const p = new AfPacket(args[0]!, () => {
    if (n++ === 0) t0 = performance.now();
  });
  out({ ev: 'listening' });
  await new Promise<void>((resolve) => {
    const iv = setInterval(() => {
      if (t0 && performance.now() - t0 >= ms) {
        clearInterval(iv);
        resolve();
      }
    }, 20);
  });
  const dt = (performance.now() - t0) / 1000;
  out({ ev: 'sink', seconds: dt, rxFrames: n, rxPerSecond: n / dt, rxBatches: p.counters.rxBatches, framesPerBatch: n / Math.max(1, p.counters.rxBatches), kernelDrops: p.kernelStats().drops, slabs: p.counters.slabs });
  p.close();
}
