/**
 * Drives the AF_PACKET addon inside a namespace for test/real/afpacket-hardening.test.ts
 * (issue 14 item 5). One JSON object per line on stdout. Modes (argv[2]):
 *   foreign Y Z OPENS   open and close a socket on Y OPENS times while another interface
 *                       floods; then Z sends 100 frames to Y: what reached Y's sockets
 *   oversize A B I,J..  one flush of 600 frames A → B; frames I, J... are too long for the MTU
 *   gc A B              (node --expose-gc) an unclosed socket on A is collected, a kept one
 *                       on B is not; then the process is left to exit by itself
 *   closetwice A B      native close() twice, around another socket's open; JS close twice
 *   nodev N             N opens of a missing interface: no descriptor left behind
 *   faultopen ADDON IF N   N opens through ADDON (a build with native/afpacket/fault-inject.h,
 *                       $FAIL_NAPI names the call that fails): error codes, descriptors
 *   udprecv IF N MS     print the first N IPv4/UDP frames received on IF as hex
 *   udpsend DST SPORT DPORT HEX...   one kernel UDP datagram per HEX payload (node:dgram)
 */
import dgram from 'node:dgram';
import { createRequire } from 'node:module';
import { readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AfPacket, type AfPacketError } from '../../src/io/afpacket.js';

const [mode, ...args] = process.argv.slice(2);
const out = (o: Record<string, unknown>): void => void process.stdout.write(JSON.stringify(o) + '\n');
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const ADDON = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../build/Release/pseudonet_afpacket.node');

/** The socket inodes this process holds (from /proc/self/fd). */
function sockets(): Set<string> {
  const s = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const l = readlinkSync(`/proc/self/fd/${fd}`);
      if (l.startsWith('socket:')) s.add(l);
    } catch { /* the fd readdir itself used */ }
  }
  return s;
}

/** A test frame: EtherType 0x88b5 (local experimental), a 4-byte tag, a 4-byte sequence. */
function frame(dst: Uint8Array, src: Uint8Array, tag: number, seq: number, size: number): Uint8Array {
  const f = new Uint8Array(size);
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = 0x88;
  f[13] = 0xb5;
  const v = new DataView(f.buffer);
  v.setUint32(14, tag);
  v.setUint32(18, seq);
  return f;
}
const tagOf = (f: Uint8Array): number | undefined => (f.length >= 22 && f[12] === 0x88 && f[13] === 0xb5 ? new DataView(f.buffer, f.byteOffset).getUint32(14) : undefined);
const seqOf = (f: Uint8Array): number => new DataView(f.buffer, f.byteOffset).getUint32(18);
const OWN = 0x4f574e21; // "OWN!": frames sent to Y on purpose; the flood (afpacket-agent blast) uses other bytes

if (mode === 'foreign') {
  const [y, z, opens] = [args[0]!, args[1]!, Number(args[2])];
  let delivered = 0;
  let foreign = 0;
  let outgoing = 0;
  for (let i = 0; i < opens; i++) {
    const p = new AfPacket(y, () => void delivered++, { promisc: true });
    await tick();
    await sleep(1); // anything queued between socket() and bind() is read now
    p.close();
    foreign += p.counters.rxForeign;
    outgoing += p.counters.rxOutgoing;
  }
  // Y's own traffic still arrives: the same socket code, one that stays open.
  let own = 0;
  let other = 0;
  const rx = new AfPacket(y, (f) => (tagOf(f) === OWN ? own++ : other++));
  const tx = new AfPacket(z, () => {}, { promisc: false });
  for (let i = 0; i < 100; i++) tx.send(frame(rx.mac, tx.mac, OWN, i, 64));
  const t0 = Date.now();
  while (own < 100 && Date.now() - t0 < 3000) await sleep(10);
  out({ ev: 'foreign', opens, delivered, foreign: foreign + rx.counters.rxForeign, outgoing, own, other });
  rx.close();
  tx.close();
} else if (mode === 'oversize') {
  const rxSeen = new Map<number, number>();
  const b = new AfPacket(args[1]!, (f) => {
    if (tagOf(f) === OWN) rxSeen.set(seqOf(f), (rxSeen.get(seqOf(f)) ?? 0) + 1);
  });
  const a = new AfPacket(args[0]!, () => {});
  const N = 600;
  // Which frames are 9,000 bytes (argv): all 600 are queued in one turn, so they leave in one
  // flush; the addon sends them in sendmmsg calls of at most 256.
  const big = new Set(args[2]!.split(',').map(Number));
  for (let i = 0; i < N; i++) a.send(frame(b.mac, a.mac, OWN, i, big.has(i) ? 9000 : 64));
  const t0 = Date.now();
  while ([...rxSeen.values()].reduce((x, y) => x + y, 0) < N - big.size && Date.now() - t0 < 5000) await sleep(10);
  await sleep(100); // duplicates, if any, would arrive by now
  const counts = Array.from({ length: N }, (_, i) => rxSeen.get(i) ?? 0);
  out({ ev: 'oversize', n: N, big: [...big], counts, tx: a.counters, lastError: a.lastError?.message, lastCode: (a.lastError as AfPacketError | undefined)?.code });
  a.close();
  b.close();
} else if (mode === 'gc') {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  const before = sockets();
  let got = 0;
  const kept = new AfPacket(args[1]!, (f) => (tagOf(f) === OWN ? got++ : 0));
  const keptSock = [...sockets()].find((s) => !before.has(s));
  const open = (): string | undefined => {
    const now = sockets();
    void new AfPacket(args[0]!, () => {}); // never closed, never referenced again
    return [...sockets()].find((s) => !now.has(s));
  };
  const lost = open();
  const t0 = Date.now();
  let held = sockets();
  while (lost !== undefined && held.has(lost) && Date.now() - t0 < 5000) {
    gc();
    await tick();
    await sleep(5);
    held = sockets();
  }
  const collectedMs = Date.now() - t0;
  // The kept socket still works after all those collections.
  const tx = new AfPacket(args[0]!, () => {}, { promisc: false });
  for (let i = 0; i < 10; i++) tx.send(frame(kept.mac, tx.mac, OWN, i, 64));
  const t1 = Date.now();
  while (got < 10 && Date.now() - t1 < 3000) await sleep(10);
  tx.close();
  const keptOpen = keptSock !== undefined && sockets().has(keptSock);
  kept.close();
  await tick();
  out({ ev: 'gc', lost, keptSock, lostClosed: lost !== undefined && !sockets().has(lost), collectedMs, keptOpen, keptReceived: got, leftover: [...sockets()].filter((x) => !before.has(x)).length });
  // Nothing is left open on purpose: the process must now exit by itself (a libuv handle
  // that was never closed would keep the loop, and so the process, alive).
} else if (mode === 'closetwice') {
  interface Native {
    open(ifname: string, promisc: boolean, rcvbuf: number, sndbuf: number, onEvent: (ev: number) => void): { handle: unknown };
    setEvents(h: unknown, mask: number): void;
    recv(h: unknown, slab: Uint8Array, slot: number, max: number, lengths: Uint32Array): number;
    close(h: unknown): void;
  }
  const n = createRequire(import.meta.url)(ADDON) as Native;
  const cb = (): void => {};
  const errs: string[] = [];
  const tryIt = (f: () => void): string => {
    try {
      f();
      return 'ok';
    } catch (e) {
      return (e as { code?: string }).code ?? (e as Error).message;
    }
  };
  const s0 = sockets();
  const a = n.open(args[0]!, true, 0, 0, cb);
  const aSock = [...sockets()].find((s) => !s0.has(s));
  n.close(a.handle);
  await tick(); // libuv runs the close callback: the old addon freed the socket's memory here
  await tick();
  const s1 = sockets();
  const b = n.open(args[0]!, true, 0, 0, cb);
  const bSock = [...sockets()].find((s) => !s1.has(s));
  errs.push(tryIt(() => n.close(a.handle))); // the second close of a
  errs.push(tryIt(() => n.close(a.handle))); // and a third
  const bOpen = bSock !== undefined && sockets().has(bSock);
  const bRecv = tryIt(() => void n.recv(b.handle, new Uint8Array(2048), 2048, 1, new Uint32Array(1)));
  const aRecv = tryIt(() => void n.recv(a.handle, new Uint8Array(2048), 2048, 1, new Uint32Array(1)));
  const aSetEvents = tryIt(() => n.setEvents(a.handle, 1));
  const notHandle = tryIt(() => n.close({}));
  n.close(b.handle);
  // The JS class: close twice, then every method.
  const p = new AfPacket(args[1]!, () => {});
  p.close();
  const js = tryIt(() => {
    p.close();
    p.send(new Uint8Array(64));
    p.flush();
    p.kernelStats();
    p.ref(false);
  });
  await tick();
  out({ ev: 'closetwice', aClosed: aSock !== undefined && !sockets().has(aSock), closes: errs, bOpen, bRecv, aRecv, aSetEvents, notHandle, js, leftover: [...sockets()].filter((s) => !s0.has(s)).length });
} else if (mode === 'nodev') {
  const n = Number(args[0]);
  const before = sockets();
  const codes = new Set<string>();
  for (let i = 0; i < n; i++) {
    try {
      new AfPacket('afp-nosuch', () => {}).close();
      codes.add('opened');
    } catch (e) {
      codes.add((e as AfPacketError).code);
    }
  }
  out({ ev: 'nodev', n, codes: [...codes], leftover: [...sockets()].filter((x) => !before.has(x)).length });
} else if (mode === 'faultopen') {
  const n = createRequire(import.meta.url)(args[0]!) as { open(i: string, p: boolean, r: number, s: number, cb: () => void): { handle: unknown }; close(h: unknown): void };
  const times = Number(args[2]);
  const before = sockets();
  const codes = new Set<string>();
  for (let i = 0; i < times; i++) {
    try {
      n.close(n.open(args[1]!, true, 0, 0, () => {}).handle);
      codes.add('opened');
    } catch (e) {
      codes.add((e as { code?: string }).code ?? (e as Error).message);
    }
  }
  await sleep(20);
  out({ ev: 'faultopen', fail: process.env.FAIL_NAPI ?? '', codes: [...codes], leftover: [...sockets()].filter((x) => !before.has(x)).length });
  // A poll handle left open would keep the process alive: the test also waits for the exit.
} else if (mode === 'udprecv') {
  const [ifname, want, ms] = [args[0]!, Number(args[1]), Number(args[2])];
  const frames: string[] = [];
  const p = new AfPacket(ifname, (f) => {
    // IPv4 (0x0800) carrying UDP (17)
    if (f.length >= 42 && f[12] === 0x08 && f[13] === 0x00 && f[23] === 17 && frames.length < want) frames.push(Buffer.from(f).toString('hex'));
  });
  out({ ev: 'listening', mac: Buffer.from(p.mac).toString('hex') });
  const t0 = Date.now();
  while (frames.length < want && Date.now() - t0 < ms) await sleep(10);
  out({ ev: 'udp', frames });
  p.close();
} else if (mode === 'udpsend') {
  const [dst, sport, dport, ...payloads] = args;
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(Number(sport), r));
  for (const h of payloads) await new Promise<void>((r, j) => s.send(Buffer.from(h, 'hex'), Number(dport), dst, (e) => (e ? j(e) : r())));
  s.close();
  out({ ev: 'sent', n: payloads.length });
} else {
  throw new Error(`unknown mode ${mode}`);
}
