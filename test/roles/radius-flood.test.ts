/**
 * The embedded RADIUS server core under a flood of correctly signed requests (issue 14 item
 * 7): its duplicate cache (RFC 5080 §2.2.2) and accounting de-duplication stay within their
 * bounds, the heap does not grow with the flood, and a good client keeps being answered —
 * its retransmission still from the cache when the flood comes from one source.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { RadiusServer } from '../../src/roles/radius-server.js';
import { parseRadiusServerConfig } from '../../src/config/radius-file.js';
import { textBytes } from '../../src/wire/bytes.js';
import { A, RadiusCode, intAttr, octetsAttr, radiusPacket, textAttr } from '../../src/wire/radius.js';
import { hideUserPassword, messageAuthenticatorAttr, signPacket } from '../../src/wire/radius-crypto.js';
import { encode } from '../../src/wire/result.js';

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const SECRET = 'flood-secret';
const GOOD = 'good-secret';
const CACHE = 16_384;
const PER_SOURCE = 4096;
const DEDUP = 65_536;
const YAML = `
clients:
  - { address: 10.0.0.0/8, secret: ${SECRET} }
  - { address: 127.0.0.1, secret: ${GOOD} }
users:
  - { name: alice@isp.example, password: pw, framedIp: 192.0.2.10 }
duplicateCacheSize: ${CACHE}
duplicateCachePerSource: ${PER_SOURCE}
accountingDedupSize: ${DEDUP}
`;
const FLOOD = 200_000;

/** A signed Access-Request; the authenticator differs per `n`, so none is a retransmission of another. */
function access(n: number, secret: string, password = 'pw'): Uint8Array {
  const ra = new Uint8Array(16);
  new DataView(ra.buffer).setUint32(0, n);
  ra[15] = 0x5a;
  const b = encode(radiusPacket, { code: RadiusCode.ACCESS_REQUEST, identifier: n & 0xff, authenticator: ra, attributes: [
    messageAuthenticatorAttr(), textAttr(A.USER_NAME, 'alice@isp.example'), octetsAttr(A.USER_PASSWORD, hideUserPassword(textBytes(password), secret, ra)),
  ] });
  signPacket(b, secret);
  return b;
}

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

function answered(s: RadiusServer): Uint8Array | undefined {
  let last: Uint8Array | undefined;
  for (let x = s.pollTransmit(); x; x = s.pollTransmit()) last = x.bytes;
  while (s.pollEvent());
  return last;
}

test(`${FLOOD.toLocaleString('en')} signed Access-Requests from one NAS: the cache holds at most ${PER_SOURCE} of its answers, a good client's answer stays cached, memory stays flat`, (t) => {
  const s = new RadiusServer(parseRadiusServerConfig(YAML), { logAuth: false });
  const good = access(1, GOOD);
  s.handle({ service: 'auth', address: '127.0.0.1', port: 1812, bytes: good }, 0);
  const first = answered(s)!;
  assert.equal(first[0], RadiusCode.ACCESS_ACCEPT);
  const before = heapAfterGc();
  let answers = 0;
  for (let i = 0; i < FLOOD; i++) {
    // Same virtual millisecond: nothing leaves the cache by age, only by the bounds.
    s.handle({ service: 'auth', address: '10.1.2.3', port: 1024 + (i % 60_000), bytes: access(i, SECRET) }, 1);
    if (answered(s)) answers++;
  }
  assert.equal(answers, FLOOD, 'every signed request answered');
  assert.ok(s.duplicateCacheEntries <= PER_SOURCE + 1, `cache ${s.duplicateCacheEntries}`);
  assert.equal(s.counters.duplicateCacheEvicted, FLOOD - PER_SOURCE);
  const grown = heapAfterGc() - before;
  assert.ok(grown < 32 * 2 ** 20, `heap grew ${(grown / 2 ** 20).toFixed(1)} MiB`);
  t.diagnostic(`heap grew ${(grown / 2 ** 20).toFixed(1)} MiB`);
  // The good client's retransmission is answered with the very same bytes, from the cache.
  const dup = s.counters.duplicates;
  s.handle({ service: 'auth', address: '127.0.0.1', port: 1812, bytes: good }, 2);
  assert.deepEqual(Buffer.from(answered(s)!), Buffer.from(first));
  assert.equal(s.counters.duplicates, dup + 1);
});

test(`${FLOOD.toLocaleString('en')} signed requests from as many source addresses, and as many accounting records: every bound holds, a good client is answered`, (t) => {
  const s = new RadiusServer(parseRadiusServerConfig(YAML), { logAuth: false });
  const before = heapAfterGc();
  for (let i = 0; i < FLOOD; i++) {
    const from = `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
    s.handle({ service: 'auth', address: from, port: 5000, bytes: access(i, SECRET) }, 1);
    const acct = encode(radiusPacket, { code: RadiusCode.ACCOUNTING_REQUEST, identifier: i & 0xff, authenticator: new Uint8Array(16), attributes: [
      intAttr(A.ACCT_STATUS_TYPE, 3), textAttr(A.ACCT_SESSION_ID, `s${i}`), textAttr(A.USER_NAME, 'alice@isp.example'),
    ] });
    signPacket(acct, SECRET);
    s.handle({ service: 'acct', address: from, port: 5001, bytes: acct }, 1);
    answered(s);
    // A good client asks now and then in the middle of the flood, and is answered each time.
    if (i % 50_000 === 49_999) {
      s.handle({ service: 'auth', address: '127.0.0.1', port: 1812, bytes: access(FLOOD + i, GOOD) }, 1);
      assert.equal(answered(s)?.[0], RadiusCode.ACCESS_ACCEPT, `good client at ${i}`);
    }
  }
  assert.ok(s.duplicateCacheEntries <= CACHE, `cache ${s.duplicateCacheEntries}`);
  assert.ok(s.accountingDedupEntries <= DEDUP, `dedup ${s.accountingDedupEntries}`);
  assert.equal(s.counters.accountingDedupEvicted, FLOOD - DEDUP);
  assert.equal(s.counters.accountingRequests, FLOOD);
  const grown = heapAfterGc() - before;
  assert.ok(grown < 48 * 2 ** 20, `heap grew ${(grown / 2 ** 20).toFixed(1)} MiB`);
  t.diagnostic(`heap grew ${(grown / 2 ** 20).toFixed(1)} MiB`);
  // Keeps the server reachable until here, so the measurement above included it.
  assert.equal(s.counters.accessRequests, FLOOD + FLOOD / 50_000);
});
