/**
 * One of every PPPoE / PPP / CHAP / PAP message our codecs emit, written into a pcapng on
 * an Ethernet link, must dissect in Wireshark without a malformed packet or an expert
 * warning/error; the few exceptions are listed with the reason beside each.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PcapngWriter, LinkType } from '../../src/wire/pcap.js';
import { encode, type Codec } from '../../src/wire/result.js';
import { fromHex, macFromString, setU16, textBytes, ipv4FromString } from '../../src/wire/bytes.js';
import { pppoeDiscovery, pppoeSession, PppoeCode, PppoeTagType, tag, pppMaxPayloadTag, type PppoeTag } from '../../src/wire/pppoe.js';
import { pppFrame, lcpPacket, ipcpPacket, ipv6cpPacket, ccpPacket, PppProtocol, type LcpPacket, type IpcpPacket, type RawNcpPacket } from '../../src/wire/ppp.js';
import { chapPacket, chapMd5Response, type ChapPacket } from '../../src/wire/chap.js';
import { papPacket, type PapPacket } from '../../src/wire/pap.js';
import { tsharkAvailable, tsharkProblems, tsharkSummary } from '../helpers/tshark.js';

const HOST = macFromString('02:00:00:00:00:01');
const AC = macFromString('02:00:00:00:00:02');

function ether(dst: Uint8Array, src: Uint8Array, type: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(Math.max(60, 14 + payload.length));
  f.set(dst, 0);
  f.set(src, 6);
  setU16(f, 12, type);
  f.set(payload, 14);
  return f;
}

test('tshark: every PPPoE discovery code, every tag, every PPP control packet, CHAP and PAP dissect cleanly', () => {
  if (!tsharkAvailable()) assert.fail('tshark is needed for this test (npm test installs it)');
  const w = new PcapngWriter();
  const ifc = w.addInterface(LinkType.ETHERNET, 'home-sse');
  let t = 1_700_000_000_000;
  const frames: string[] = [];
  const disc = (name: string, dst: Uint8Array, src: Uint8Array, code: number, sessionId: number, tags: PppoeTag[]): void => {
    w.write(ifc, (t += 10), ether(dst, src, 0x8863, encode(pppoeDiscovery, { code, sessionId, tags })));
    frames.push(name);
  };
  const hu = tag(PppoeTagType.HOST_UNIQ, fromHex('7f000001'));
  const cookie = tag(PppoeTagType.AC_COOKIE, fromHex('00112233445566778899aabbccddeeff'));
  const relay = tag(PppoeTagType.RELAY_SESSION_ID, fromHex('0a0b0c0d'));
  const vendor = tag(PppoeTagType.VENDOR_SPECIFIC, fromHex('00000de9' + '0102030405'));
  const bcast = macFromString('ff:ff:ff:ff:ff:ff');
  disc('PADI', bcast, HOST, PppoeCode.PADI, 0, [tag(PppoeTagType.SERVICE_NAME), hu, pppMaxPayloadTag(1500), relay, tag(PppoeTagType.END_OF_LIST)]);
  disc('PADO', HOST, AC, PppoeCode.PADO, 0, [tag(PppoeTagType.AC_NAME, 'pseudonet-sse'), tag(PppoeTagType.SERVICE_NAME), tag(PppoeTagType.SERVICE_NAME, 'flets'), cookie, hu, pppMaxPayloadTag(1500), relay, vendor]);
  disc('PADR', AC, HOST, PppoeCode.PADR, 0, [tag(PppoeTagType.SERVICE_NAME), hu, cookie, pppMaxPayloadTag(1500), relay]);
  disc('PADS', HOST, AC, PppoeCode.PADS, 0x1234, [tag(PppoeTagType.SERVICE_NAME), hu, pppMaxPayloadTag(1500), relay]);
  disc('PADS error', HOST, AC, PppoeCode.PADS, 0, [tag(PppoeTagType.SERVICE_NAME, 'nope'), hu, tag(PppoeTagType.SERVICE_NAME_ERROR, 'unknown service')]);
  disc('PADS full', HOST, AC, PppoeCode.PADS, 0, [tag(PppoeTagType.SERVICE_NAME), hu, tag(PppoeTagType.AC_SYSTEM_ERROR, 'too many sessions')]);
  disc('PADT', AC, HOST, PppoeCode.PADT, 0x1234, [tag(PppoeTagType.GENERIC_ERROR, 'session closed')]);

  const ppp = (name: string, from: 'host' | 'ac', protocol: number, payload: Uint8Array): void => {
    const f = encode(pppFrame, { protocol, payload });
    const s = encode(pppoeSession, { sessionId: 0x1234, payload: f });
    w.write(ifc, (t += 10), from === 'host' ? ether(AC, HOST, 0x8864, s) : ether(HOST, AC, 0x8864, s));
    frames.push(name);
  };
  const lcp = (p: LcpPacket, from: 'host' | 'ac' = 'host'): void => ppp(`LCP ${p.kind}`, from, PppProtocol.LCP, encode(lcpPacket, p));
  const allLcp = [
    { kind: 'mru', mru: 1454 }, { kind: 'accm', accm: 0 }, { kind: 'auth', protocol: PppProtocol.CHAP, algorithm: 5 },
    { kind: 'magic', magic: 0x12345678 }, { kind: 'pfc' }, { kind: 'acfc' }, { kind: 'raw', type: 13, data: fromHex('06') },
  ] as const;
  lcp({ kind: 'conf-req', identifier: 1, options: allLcp });
  lcp({ kind: 'conf-req', identifier: 1, options: [{ kind: 'mru', mru: 1492 }, { kind: 'auth', protocol: PppProtocol.PAP }, { kind: 'magic', magic: 0xcafef00d }] }, 'ac');
  lcp({ kind: 'conf-nak', identifier: 1, options: [{ kind: 'mru', mru: 1454 }] }, 'ac');
  lcp({ kind: 'conf-rej', identifier: 1, options: [{ kind: 'accm', accm: 0 }, { kind: 'pfc' }, { kind: 'acfc' }, { kind: 'raw', type: 13, data: fromHex('06') }] }, 'ac');
  lcp({ kind: 'conf-ack', identifier: 2, options: [{ kind: 'mru', mru: 1454 }, { kind: 'magic', magic: 0x12345678 }] }, 'ac');
  lcp({ kind: 'echo-req', identifier: 7, magic: 0x12345678, data: new Uint8Array(0) });
  lcp({ kind: 'echo-reply', identifier: 7, magic: 0xcafef00d, data: new Uint8Array(0) }, 'ac');
  lcp({ kind: 'discard-req', identifier: 8, magic: 0x12345678, data: textBytes('x') });
  lcp({ kind: 'code-rej', identifier: 9, rejected: fromHex('0c010008cafef00d') }, 'ac');
  lcp({ kind: 'proto-rej', identifier: 10, protocol: PppProtocol.IPV6CP, data: fromHex('0101000e010a0011223344556677') }, 'ac');
  lcp({ kind: 'term-req', identifier: 11, data: textBytes('User request') });
  lcp({ kind: 'term-ack', identifier: 11, data: new Uint8Array(0) }, 'ac');

  const chap = (p: ChapPacket, from: 'host' | 'ac'): void => ppp(`CHAP ${p.kind}`, from, PppProtocol.CHAP, encode(chapPacket, p));
  const challenge = fromHex('00112233445566778899aabbccddeeff');
  chap({ kind: 'challenge', identifier: 1, value: challenge, name: textBytes('sse') }, 'ac');
  chap({ kind: 'response', identifier: 1, value: chapMd5Response(1, textBytes('secret'), challenge), name: textBytes('user@isp-a.example') }, 'host');
  chap({ kind: 'success', identifier: 1, message: textBytes('Access granted') }, 'ac');
  chap({ kind: 'failure', identifier: 1, message: textBytes('Access denied') }, 'ac');

  const pap = (p: PapPacket, from: 'host' | 'ac'): void => ppp(`PAP ${p.kind}`, from, PppProtocol.PAP, encode(papPacket, p));
  pap({ kind: 'auth-req', identifier: 1, peerId: textBytes('user@isp-a.example'), password: textBytes('secret') }, 'host');
  pap({ kind: 'auth-ack', identifier: 1, message: textBytes('ok') }, 'ac');
  pap({ kind: 'auth-nak', identifier: 1, message: textBytes('no') }, 'ac');

  const ipcp = (p: IpcpPacket, from: 'host' | 'ac'): void => ppp(`IPCP ${p.kind}`, from, PppProtocol.IPCP, encode(ipcpPacket, p));
  const a = ipv4FromString;
  ipcp({ kind: 'conf-req', identifier: 1, options: [{ kind: 'ip-address', address: 0 }, { kind: 'primary-dns', address: 0 }, { kind: 'secondary-dns', address: 0 }] }, 'host');
  ipcp({ kind: 'conf-nak', identifier: 1, options: [{ kind: 'ip-address', address: a('198.51.100.10') }, { kind: 'primary-dns', address: a('192.0.2.53') }, { kind: 'secondary-dns', address: a('192.0.2.54') }] }, 'ac');
  ipcp({ kind: 'conf-rej', identifier: 1, options: [{ kind: 'raw', type: 2, data: fromHex('002d0f01') }] }, 'ac');
  ipcp({ kind: 'conf-ack', identifier: 2, options: [{ kind: 'ip-address', address: a('198.51.100.10') }] }, 'ac');
  ipcp({ kind: 'term-req', identifier: 3, data: new Uint8Array(0) }, 'ac');
  ipcp({ kind: 'term-ack', identifier: 3, data: new Uint8Array(0) }, 'host');
  ipcp({ kind: 'code-rej', identifier: 4, rejected: fromHex('0e010004') }, 'host');
  const ncp = (name: string, codec: Codec<RawNcpPacket>, protocol: number, p: RawNcpPacket): void => ppp(name, 'host', protocol, encode(codec, p));
  ppp('IPV6CP conf-req', 'host', PppProtocol.IPV6CP, encode(ipv6cpPacket, { kind: 'conf-req', identifier: 1, options: [{ kind: 'interface-id', id: fromHex('c85fb2665a097eb2') }] }));
  ncp('CCP conf-req', ccpPacket, PppProtocol.CCP, { kind: 'conf-req', identifier: 1, options: [{ kind: 'raw', type: 26, data: fromHex('7800') }, { kind: 'raw', type: 24, data: fromHex('7800') }] });

  const dir = mkdtempSync(path.join(tmpdir(), 'pseudonet-ppp-'));
  try {
    const file = path.join(dir, 'ppp.pcapng');
    writeFileSync(file, w.bytes());
    const summary = tsharkSummary(file);
    assert.equal(summary.length, frames.length);
    // Wireshark's own names for what we meant to write, so a frame that dissects as something else shows.
    const cols = summary.map((l) => l.split('\t')[0]);
    assert.deepEqual(cols.slice(0, 7), Array(7).fill('PPPoED'));
    assert.ok(summary.some((l) => l.includes('Active Discovery Terminate')));
    assert.ok(summary.filter((l) => l.startsWith('PPP LCP')).length === 12, summary.join('\n'));
    assert.ok(summary.filter((l) => l.startsWith('PPP CHAP')).length === 4);
    assert.ok(summary.filter((l) => l.startsWith('PPP PAP')).length === 3);
    assert.ok(summary.filter((l) => l.startsWith('PPP IPCP')).length === 7);
    const problems = tsharkProblems(file).map((p) => ({ frame: frames[p.frame - 1], severity: p.severity, message: p.message }));
    assert.deepEqual(problems, ALLOWED);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Expert items Wireshark raises on packets the RFCs allow, each with the reason. */
const ALLOWED: { frame: string | undefined; severity: string; message: string }[] = [];
