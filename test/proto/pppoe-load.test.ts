/**
 * Many sessions on one Ethernet segment (the lead's `Segment`) on the virtual clock:
 * 1,000 homes under 20 % loss with reordering, and a 100,000-PADI flood that leaves no
 * per-PADI state in the AC while real homes still connect.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../src/sim/clock.js';
import { Segment, mulberry32 } from '../../src/sim/link.js';
import { pppoeAcConfig } from '../../src/proto/pppoe-ac.js';
import { pppoeClientConfig } from '../../src/proto/pppoe-client.js';
import { pppLinkConfig } from '../../src/proto/ppp-link.js';
import { authenticatorConfig, peerConfig } from '../../src/proto/ppp-auth.js';
import { ipcpConfig } from '../../src/proto/ipcp.js';
import { pppoeDiscovery, PppoeCode, PppoeTagType, tag } from '../../src/wire/pppoe.js';
import { encode } from '../../src/wire/result.js';
import { ipv4FromString as ip, macFromString, setU16, textBytes } from '../../src/wire/bytes.js';
import { AcHost, ClientHost, clientMac } from '../helpers/pppoe-net.js';

const AC_MAC = macFromString('02:aa:00:00:00:01');
const SECRET = textBytes('secret');

function acLink(counters = {}) {
  return pppLinkConfig({
    lcp: { authenticate: ['chap-md5'], echoIntervalMs: 30_000, echoFailure: 10 },
    authenticator: authenticatorConfig({ name: 'sse', secretFor: () => SECRET }),
    ipcp: ipcpConfig({ localAddress: ip('10.0.0.1'), dns: [ip('10.0.0.53'), ip('10.0.0.54')] }),
    counters,
  });
}

function homeLink(counters = {}) {
  return pppLinkConfig({
    lcp: { echoIntervalMs: 30_000, echoFailure: 10 },
    credentials: peerConfig({ name: 'user@isp-a.example', secret: 'secret' }),
    ipcp: ipcpConfig({ requestDns: true }),
    counters,
  });
}

test('1,000 sessions come up under 20 % loss with reordering, and stay up', () => {
  const clock = new VirtualClock();
  const seg = new Segment('access', clock, { loss: 0.2, delay: 2, jitter: 8, seed: 2024 });
  const acCounters = {};
  const ac = new AcHost(clock, seg, AC_MAC, pppoeAcConfig({ cookieSecret: new Uint8Array(32).fill(1) }), acLink(acCounters), ip('100.64.0.1'));
  const homeCounters: Record<string, number> = {};
  const hl = homeLink(homeCounters);
  const cc = pppoeClientConfig({ padiTries: 16 });
  const rnd = mulberry32(7);
  const homes: ClientHost[] = [];
  for (let i = 0; i < 1000; i++) {
    const h = new ClientHost(clock, seg, clientMac(i + 1), cc, hl, false, `home${i}`);
    h.persistMs = 2000;
    homes.push(h);
    clock.setTimer(Math.floor(rnd() * 2000), () => h.start());
  }
  const allUp = (): boolean => homes.every((h) => h.upAt !== undefined);
  assert.ok(clock.runUntilTrue(allUp, 600_000), `${homes.filter((h) => h.upAt === undefined).length} homes still down at 600 s`);
  const tookS = clock.now() / 1000;
  clock.runUntil(clock.now() + 120_000);
  assert.ok(allUp(), 'still all up two minutes later (echo keepalive through the loss)');
  assert.equal(ac.established, 1000);
  assert.equal(ac.ac.sessionCount, 1000, 'no session left behind by a home that started over');
  assert.equal(new Set(homes.map((h) => h.localAddress)).size, 1000, 'every home its own address');
  assert.ok(seg.counters.lost > 0.18 * seg.counters.sent && seg.counters.lost < 0.22 * seg.counters.sent);
  // The loss was felt and repaired by every mechanism: discovery, LCP, CHAP and IPCP retransmissions.
  assert.ok(homeCounters['padi.retransmit']! > 100 && homeCounters['padr.retransmit']! > 50, JSON.stringify(homeCounters));
  assert.ok((acCounters as Record<string, number>)['chap.challenge-retransmit']! > 50, JSON.stringify(acCounters));
  const sessions = homeCounters['session.up']!;
  const renegotiated = homes.reduce((n, h) => n + h.ups - 1, 0);
  console.log(`1,000 sessions up after ${tookS.toFixed(1)} s of virtual time; ${sessions} PPPoE sessions made, ${renegotiated} IPCP renegotiations (a retransmitted request reaching an Opened peer); frames sent ${seg.counters.sent}, lost ${seg.counters.lost}`);
});

test('a 100,000-PADI flood leaves no per-PADI state in the AC, and real homes still connect during it', () => {
  const clock = new VirtualClock();
  const seg = new Segment('access', clock, { delay: 1 });
  const ac = new AcHost(clock, seg, AC_MAC, pppoeAcConfig(), acLink(), ip('100.64.0.1'));
  const flooder = seg.attach('flooder', () => undefined);
  const rnd = mulberry32(99);
  const padiBody = (hostUniq: Uint8Array): Uint8Array => encode(pppoeDiscovery, { code: PppoeCode.PADI, sessionId: 0, tags: [tag(PppoeTagType.SERVICE_NAME), tag(PppoeTagType.HOST_UNIQ, hostUniq)] });
  const FLOOD = 100_000;
  // 10,000 PADIs a second for 10 s, each from a different forged MAC.
  for (let i = 0; i < FLOOD; i++) {
    clock.setTimer(i / 10, () => {
      const body = padiBody(new Uint8Array([i >>> 24, i >>> 16, i >>> 8, i]));
      const f = new Uint8Array(14 + body.length);
      f.fill(0xff, 0, 6);
      f.set([0x06, (rnd() * 256) | 0, (rnd() * 256) | 0, (rnd() * 256) | 0, (rnd() * 256) | 0, (rnd() * 256) | 0], 6);
      setU16(f, 12, 0x8863);
      f.set(body, 14);
      flooder.send(f);
    });
  }
  const homes: ClientHost[] = [];
  for (let i = 0; i < 50; i++) {
    const h = new ClientHost(clock, seg, clientMac(i + 1), pppoeClientConfig(), homeLink(), false, `home${i}`);
    homes.push(h);
    clock.setTimer(1000 + i * 100, () => h.start());
  }
  let maxState = 0;
  const sample = (): void => {
    const s = ac.ac.stateSize;
    maxState = Math.max(maxState, s.sessions + s.macs + s.queued);
    if (clock.now() < 10_000) clock.setTimer(clock.now() + 50, sample);
  };
  clock.setTimer(0, sample);
  clock.runUntil(30_000);
  assert.equal(ac.ac.counters['padi.in'], FLOOD + 50);
  assert.equal(ac.ac.counters['pado.out'], FLOOD + 50, 'every PADI answered, statelessly');
  assert.ok(homes.every((h) => h.upAt !== undefined && h.upAt < 10_000), 'every home connected during the flood');
  assert.deepEqual(ac.ac.stateSize, { sessions: 50, macs: 50, queued: 0 });
  assert.ok(maxState <= 2 * 50 + 2, `state never grew with the flood (max ${maxState})`);
});
