// The LNS tells its RADIUS where each subscriber is: Calling-Station-Id is the Calling Number the
// sse put in the ICRQ (the home's MAC, RFC 2661 §4.4.5 / RFC 2865 §5.31), exactly as sent, in
// Accounting-Start and Stop alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { start, topo } from '../helpers/net-run.js';
import { macToString } from '../../src/wire/bytes.js';

test("the LNS's accounting names each home by its MAC text as the sse sent it (Calling-Station-Id), Start and Stop alike", () => {
  const lines: { userName?: string; statusType: string; attributes: Record<string, unknown> }[] = [];
  const r = start(topo());
  r.net.onEvent((e) => {
    if (e.kind === 'radius' && e.event.type === 'accounting') lines.push(e.event.line as never);
  });
  assert.ok(r.up());
  for (const h of r.net.homes) r.net.act(h.cfg.name, (now) => h.disconnect(now));
  r.clock.runUntil(r.clock.now() + 10_000);
  for (const h of r.net.homes) {
    const mine = lines.filter((l) => l.userName === h.cfg.user);
    assert.deepEqual(mine.map((l) => l.statusType).sort(), ['Start', 'Stop'], h.cfg.user);
    for (const l of mine) assert.equal(l.attributes['Calling-Station-Id'], macToString(h.mac), `${h.cfg.user} ${l.statusType}`);
  }
});
