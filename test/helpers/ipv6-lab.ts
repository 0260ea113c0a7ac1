/**
 * For the QEMU-lab IPv6 tests (test/real/ipv6-*.test.ts): prefixes and addresses given as
 * text (console lines, events, `show`) compared bit by bit, a capture of what our box sends on
 * one interface, and tshark's judgement of every IPv6 and IPV6CP frame in such captures.
 */
import { execFileSync } from 'node:child_process';
import { ipv6ToString, parseIpv6Address } from '../../src/wire/ipv6.js';
import { tsharkProblems, tsharkSummary, type ExpertItem } from './tshark.js';
import { withChecksumChecks } from './wsconfig.js';
import { delay, type Lab, type Proc } from '../real/lab.js';

export interface Prefix { readonly addr: Uint8Array; readonly len: number; readonly text: string }

/** An IPv6 address from text, or an error that quotes it (`what` says where it came from). */
export function address(text: string, what = 'address'): Uint8Array {
  const a = parseIpv6Address(text.replace(/%.*$/, '').replace(/\/.*$/, ''));
  if (!a) throw new Error(`${what}: "${text}" is not an IPv6 address`);
  return a;
}

/** `P/LEN` from text, or an error that quotes it. */
export function prefix(text: unknown, what = 'prefix'): Prefix {
  const m = typeof text === 'string' ? /^([0-9a-fA-F:.]+)\/(\d{1,3})$/.exec(text) : null;
  const len = m ? Number(m[2]) : NaN;
  if (!m || len > 128) throw new Error(`${what}: ${JSON.stringify(text)} is not an IPv6 prefix P/LEN`);
  return { addr: address(m[1]!, what), len, text: m[0] };
}

/** The first `len` bits of `a` and `b` are equal. */
export function samePrefixBits(a: Uint8Array, b: Uint8Array, len: number): boolean {
  for (let i = 0; i < len; i++) {
    const bit = 0x80 >> (i & 7);
    if ((a[i >> 3]! & bit) !== (b[i >> 3]! & bit)) return false;
  }
  return true;
}

/** `a` is an address of prefix `p`. */
export const within = (a: Uint8Array, p: Prefix): boolean => samePrefixBits(a, p.addr, p.len);

/** `inner` is `outer` or a longer prefix inside it. */
export const prefixWithin = (inner: Prefix, outer: Prefix): boolean => inner.len >= outer.len && within(inner.addr, outer);

/** No bit past the prefix length is set (RFC 4291 §2.3: the prefix is the leftmost bits; the rest are zero in the notation we compare). */
export function hostBitsZero(p: Prefix): boolean {
  for (let i = p.len; i < 128; i++) if (p.addr[i >> 3]! & (0x80 >> (i & 7))) return false;
  return true;
}

/** Two prefixes (or addresses) are the same, whatever the text form (pppd prints every group, others RFC 5952). */
export const samePrefix = (a: Prefix, b: Prefix): boolean => a.len === b.len && samePrefixBits(a.addr, b.addr, 128);
export const sameAddress = (a: Uint8Array, b: Uint8Array): boolean => samePrefixBits(a, b, 128);
export const show6 = (a: Uint8Array): string => ipv6ToString(a);

/** The interface identifier of an address (its low 64 bits) is not all zeros. */
export const hasInterfaceId = (a: Uint8Array): boolean => a.subarray(8).some((b) => b !== 0);

/** The MAC of `ifname` in namespace `ns`. */
export function ifMac(ns: string, ifname: string): string {
  const j = JSON.parse(execFileSync('ip', ['-n', ns, '-j', 'link', 'show', ifname], { encoding: 'utf8' })) as { address: string }[];
  return j[0]!.address;
}

/** dumpcap on `ifname` in `ns` writing `file` (capture filter `bpf`, '' for every frame); resolves once it is capturing. */
export async function startCapture(lab: Lab, ns: string, ifname: string, file: string, bpf = ''): Promise<Proc> {
  const cap = lab.spawn(`dumpcap ${ifname}`, ns, 'dumpcap', ['-q', '-i', ifname, ...(bpf ? ['-f', bpf] : []), '-w', file]);
  for (let i = 0; i < 100 && !/Capturing on/.test(cap.stderr) && cap.exited === undefined; i++) await delay(100);
  if (!/Capturing on/.test(cap.stderr)) throw new Error(`dumpcap on ${ns}/${ifname} did not start: ${cap.stderr}`);
  return cap;
}

/** Frames of `file` that match display filter `filter`, as tshark's one-line summaries. */
export function frames(file: string, filter: string): string[] {
  return execFileSync('tshark', ['-r', file, '-Y', filter, '-T', 'fields', '-e', 'frame.number', '-e', '_ws.col.Protocol', '-e', '_ws.col.Info'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    .split('\n').filter((l) => l.trim());
}

/**
 * Waits until the running capture `file` holds a frame matching `filter` (true), or `ms` have
 * passed (false). dumpcap hands frames to its file a block at a time (libpcap's buffer
 * timeout, up to a second): stopped sooner, it loses the last frames seen on the wire.
 */
export async function captured(file: string, filter: string, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      if (frames(file, filter).length > 0) return true;
    } catch {
      // A capture being written may end in a cut-short block: read it again.
    }
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 250));
  }
}

export const IPV6_FILTER = 'ipv6 || ipv6cp';

/**
 * Every IPv6 and IPV6CP frame of each capture (copied out with tshark's display filter),
 * judged with checksum validation on: the malformed packets and expert warnings/errors
 * (`where` names the capture), and the summaries of the frames judged.
 */
export function judgeIpv6(pcaps: string[], dir: string): { problems: (ExpertItem & { where: string })[]; judged: { where: string; lines: string[] }[] } {
  const problems: (ExpertItem & { where: string })[] = [];
  const judged: { where: string; lines: string[] }[] = [];
  for (const pcap of pcaps) {
    const only = pcap.replace(/(\.pcapng)?$/, '.ipv6.pcapng');
    execFileSync('tshark', ['-r', pcap, '-Y', IPV6_FILTER, '-w', only], { stdio: ['ignore', 'pipe', 'pipe'] });
    withChecksumChecks(dir, () => {
      for (const p of tsharkProblems(only)) problems.push({ ...p, where: only });
      judged.push({ where: only, lines: tsharkSummary(only) });
    });
  }
  return { problems, judged };
}
