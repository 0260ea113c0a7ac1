/**
 * An LNS restart under a mass of homes on one tunnel: the LNS process goes away (its box
 * stops, ports detached) and comes back empty; the sse's tunnel dies, every home gets its
 * PADT or its LCP echo fails, every home redials, and all of them come back through one new
 * tunnel — the mass redial the bounded L2TP control queue must carry (issue 13). The 60,000
 * homes figure is `npm run bench -- --only restart`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { restartRun } from '../../bench/restart.js';

test('3,000 homes on one tunnel: the LNS restarts, every home comes back, every session accounted once', () => {
  const r = restartRun(3_000);
  assert.equal(r.onlineBefore, 3_000);
  assert.equal(r.onlineAfter, 3_000, `${r.onlineAfter}/3000 back`);
  assert.equal(r.tunnelsAfter, 1, 'one tunnel carries them all again');
  assert.ok(r.redials >= 3_000, `every home redialled (${r.redials})`);
  assert.equal(r.startsAfter, 3_000, 'one Accounting-Start per home at the new LNS');
  console.log(`lns-restart: 3,000 homes back ${r.backAfterSeconds} virtual s after the restart, ${r.redials} redials, ${r.wallSeconds.toFixed(1)} s wall`);
});
