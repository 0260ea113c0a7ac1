/**
 * The embedded RADIUS server's answer cache (RFC 5080 §2.2.2) against a model of its rule:
 * a request whose source, port, identifier and authenticator match a cached answer within the
 * duplicate window is answered from the cache; any other request is answered afresh and its
 * answer replaces the one under the same (source, port, identifier), the oldest answer of its
 * source leaves when the source is at its bound, the oldest of all when the cache is.
 * Random sequences of requests, retransmissions and clock steps, checked after every step.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RadiusServer } from '../../src/roles/radius-server.js';
import { parseRadiusServerConfig } from '../../src/config/radius-file.js';
import { textBytes } from '../../src/wire/bytes.js';
import { A, RadiusCode, octetsAttr, radiusPacket, textAttr } from '../../src/wire/radius.js';
import { hideUserPassword, messageAuthenticatorAttr, signPacket } from '../../src/wire/radius-crypto.js';
import { encode } from '../../src/wire/result.js';

const SECRET = 'cache-secret';
const WINDOW = 1000;
const SIZE = 5;
const PER_SOURCE = 3;
const YAML = `
clients:
  - { address: 10.0.0.0/8, secret: ${SECRET} }
users:
  - { name: alice@isp.example, password: pw, framedIp: 192.0.2.10 }
duplicateCacheSize: ${SIZE}
duplicateCachePerSource: ${PER_SOURCE}
duplicateWindowMs: ${WINDOW}
`;

/** A signed Access-Request whose authenticator is `variant` in every octet. */
function access(id: number, variant: number): Uint8Array {
  const ra = new Uint8Array(16).fill(variant + 1);
  const b = encode(radiusPacket, { code: RadiusCode.ACCESS_REQUEST, identifier: id, authenticator: ra, attributes: [
    messageAuthenticatorAttr(), textAttr(A.USER_NAME, 'alice@isp.example'), octetsAttr(A.USER_PASSWORD, hideUserPassword(textBytes('pw'), SECRET, ra)),
  ] });
  signPacket(b, SECRET);
  return b;
}

interface Step { source: number; port: number; id: number; variant: number; dt: number }
interface Entry { source: number; port: number; id: number; variant: number; at: number }

const step = fc.record({
  source: fc.integer({ min: 0, max: 2 }),
  port: fc.integer({ min: 0, max: 2 }),
  id: fc.integer({ min: 0, max: 1 }),
  variant: fc.integer({ min: 0, max: 1 }),
  dt: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 400 }), fc.constant(WINDOW)),
});

test('the answer cache follows its rule: duplicates within the window answered from it, bounds per source and overall oldest out first', () => {
  fc.assert(
    fc.property(fc.array(step, { minLength: 1, maxLength: 80 }), (steps: Step[]) => {
      const s = new RadiusServer(parseRadiusServerConfig(YAML), { logAuth: false });
      let model: Entry[] = [];
      let now = 0;
      let evicted = 0;
      for (const [i, x] of steps.entries()) {
        now += x.dt;
        model = model.filter((e) => e.at + WINDOW > now);
        const same = (e: Entry): boolean => e.source === x.source && e.port === x.port && e.id === x.id;
        const hit = model.some((e) => same(e) && e.variant === x.variant);
        if (!hit) {
          model = model.filter((e) => !same(e));
          const mine = model.filter((e) => e.source === x.source);
          if (mine.length >= PER_SOURCE) {
            model.splice(model.indexOf(mine[0]!), 1);
            evicted++;
          }
          if (model.length >= SIZE) {
            model.shift();
            evicted++;
          }
          model.push({ ...x, at: now });
        }
        const dup = s.counters.duplicates;
        s.handle({ service: 'auth', address: `10.0.0.${x.source + 1}`, port: 1000 + x.port, bytes: access(x.id, x.variant) }, now);
        const out = s.pollTransmit();
        assert.equal(out?.bytes[0], RadiusCode.ACCESS_ACCEPT, `step ${i}: answered`);
        assert.equal(s.pollTransmit(), undefined);
        assert.equal(s.counters.duplicates - dup, hit ? 1 : 0, `step ${i}: ${hit ? 'from the cache' : 'afresh'}`);
        assert.equal(s.duplicateCacheEntries, model.length, `step ${i}: entries`);
        assert.equal(s.counters.duplicateCacheEvicted, evicted, `step ${i}: evicted`);
      }
    }),
    { numRuns: 400 },
  );
});
