/**
 * Issue 13's churn run: tens of homes, Session-Timeout 10 minutes and Interim 5 minutes,
 * a fixed address inside the pool and one outside it, two homes sharing one user, redial on,
 * 2 % loss and 0.5 % corruption on access and carrier, six virtual hours of `pseudonet run`.
 * What must hold at the end is read back from the files the run wrote (accounting.jsonl,
 * summary.json), the way a user would check them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runTopology } from '../../src/cli/run.js';
import { churnTopology } from '../helpers/churn.js';
import { parseCapture } from '../../src/wire/pcap.js';

const HOMES = 30;
const HOURS = 6;

interface Line { at: number; statusType: string; sessionId: string; userName: string; framedIpAddress?: string; sessionTime?: number; terminateCause?: string; attributes: Record<string, unknown> }

test(`churn: ${HOMES} homes, ${HOURS} virtual hours through 2 % loss and 0.5 % corruption: homes online, accounting whole, no address twice`, async () => {
  const out = mkdtempSync(path.join(tmpdir(), 'pseudonet-churn-'));
  try {
    const t0 = performance.now();
    const r = await runTopology(churnTopology(HOMES, { sessionTimeout: 600, interimInterval: 300, ipv6: true }), { durationMs: HOURS * 3_600_000, realtime: false, out, log: () => {} });
    const wall = performance.now() - t0;
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as { online: number; homes: number };
    assert.equal(summary.homes, HOMES);
    assert.ok(summary.online >= Math.ceil(0.9 * HOMES), `${summary.online}/${HOMES} homes online at the end`);
    assert.equal(r.online, summary.online);

    const acct = readFileSync(path.join(out, 'accounting.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);
    const bySession = new Map<string, Line[]>();
    for (const a of acct) {
      const list = bySession.get(a.sessionId) ?? [];
      list.push(a);
      bySession.set(a.sessionId, list);
    }
    // Every Start has exactly one Stop (the run ends every session at its end), and nothing of a session comes after its Stop.
    for (const [id, lines] of bySession) {
      const kinds = lines.map((l) => l.statusType);
      assert.equal(kinds.filter((k) => k === 'Start').length, 1, `${id}: ${kinds.join(',')}`);
      assert.equal(kinds.filter((k) => k === 'Stop').length, 1, `${id}: ${kinds.join(',')}`);
      assert.equal(kinds[0], 'Start', `${id} begins with its Start`);
      assert.equal(kinds.at(-1), 'Stop', `${id} ends with its Stop`);
    }
    // No address held by two sessions at once: per address, each session's Stop comes before the next one's Start.
    const byAddress = new Map<string, { start: number; stop: number; id: string }[]>();
    for (const [id, lines] of bySession) {
      const start = lines[0]!;
      const stop = lines.at(-1)!;
      assert.ok(start.framedIpAddress, `${id} has an address`);
      const list = byAddress.get(start.framedIpAddress!) ?? [];
      list.push({ start: start.at, stop: stop.at, id });
      byAddress.set(start.framedIpAddress!, list);
    }
    for (const [addr, list] of byAddress) {
      list.sort((a, b) => a.start - b.start);
      for (let i = 1; i < list.length; i++) assert.ok(list[i]!.start >= list[i - 1]!.stop, `${addr} held by ${list[i - 1]!.id} and ${list[i]!.id} at once`);
    }
    // IPv6 (isp-a, pools of 32 prefixes each, leased again and again): no /64 and no delegated
    // prefix held by two sessions at once, read from the accounting the way the addresses are.
    for (const attr of ['Framed-IPv6-Prefix', 'Delegated-IPv6-Prefix']) {
      const byPrefix = new Map<string, { start: number; stop: number; id: string }[]>();
      for (const [id, lines] of bySession) {
        const p = lines[0]!.attributes[attr];
        if (typeof p !== 'string') continue;
        const list = byPrefix.get(p) ?? [];
        list.push({ start: lines[0]!.at, stop: lines.at(-1)!.at, id });
        byPrefix.set(p, list);
      }
      const leases = [...byPrefix.values()].reduce((n, l) => n + l.length, 0);
      assert.ok(leases >= 300, `${leases} sessions carried ${attr}`);
      assert.ok([...byPrefix.values()].some((l) => l.length > 1), `some ${attr} was leased again`);
      assert.ok(byPrefix.size <= 32, `${byPrefix.size} distinct ${attr}s out of a pool of 32`);
      for (const [prefix, list] of byPrefix) {
        list.sort((a, b) => a.start - b.start);
        for (let i = 1; i < list.length; i++) assert.ok(list[i]!.start >= list[i - 1]!.stop, `${attr} ${prefix} held by ${list[i - 1]!.id} and ${list[i]!.id} at once`);
      }
    }
    // The fixed addresses went to their users only; the two homes of one user were online together with two addresses.
    const users = (ip: string) => new Set((byAddress.get(ip) ?? []).map((x) => bySession.get(x.id)![0]!.userName));
    assert.deepEqual([...users('198.51.100.10')], ['fixed-in@isp-a.example']);
    assert.deepEqual([...users('192.168.77.7')], ['fixed-out@isp-a.example']);
    const shared = [...bySession.values()].filter((l) => l[0]!.userName === 'shared@isp-a.example');
    assert.ok(shared.some((a) => shared.some((b) => a !== b && a[0]!.at < b.at(-1)!.at && b[0]!.at < a.at(-1)!.at)), 'the two logins of one user overlapped');
    // Session-Timeout ended sessions at 10 minutes; Interim-Updates every 5 minutes.
    const stops = acct.filter((a) => a.statusType === 'Stop');
    const timeouts = stops.filter((a) => a.terminateCause === 'Session-Timeout');
    assert.ok(timeouts.length >= HOMES * HOURS, `${timeouts.length} Session-Timeout stops`);
    for (const s of timeouts) assert.ok(s.sessionTime! >= 600 && s.sessionTime! <= 601, `Session-Timeout after ${s.sessionTime} s`);
    const interims = acct.filter((a) => a.statusType === 'Interim-Update');
    assert.ok(interims.length >= timeouts.length, `${interims.length} Interim-Updates`);
    for (const [id, lines] of bySession) {
      const stop = lines.at(-1)!;
      if ((stop.sessionTime ?? 0) >= 310) assert.ok(lines.some((l) => l.statusType === 'Interim-Update'), `${id} (${stop.sessionTime} s) has an Interim-Update`);
    }
    // The captures were written as the run went (section header, interface, a block per frame) and read back whole.
    const cap = parseCapture(readFileSync(path.join(out, 'carrier.pcapng')));
    assert.ok(cap.ok, 'carrier.pcapng parses');
    assert.deepEqual(cap.value.interfaces, [{ linkType: 1, name: 'carrier' }]);
    assert.ok(cap.value.packets.length > 100_000, `${cap.value.packets.length} frames on the carrier`);
    assert.ok(cap.value.packets.at(-1)!.timestampMs - cap.value.packets[0]!.timestampMs >= HOURS * 3_600_000, 'the whole run');
    // Every session the LNS ended (Session-Timeout) was followed by the home dialling again by itself.
    const redials = readFileSync(path.join(out, 'events.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"type":"redial"') && l.includes('"kind":"home"')).length;
    assert.ok(redials >= timeouts.length, `${redials} redials after ${timeouts.length} Session-Timeouts`);
    console.log(`churn: ${HOMES} homes, ${HOURS} h virtual in ${(wall / 1000).toFixed(1)} s wall; ${bySession.size} sessions, ${timeouts.length} Session-Timeout stops, ${interims.length} Interim-Updates, ${redials} redials, causes ${JSON.stringify(countBy(stops.map((s) => String(s.terminateCause))))}; ${summary.online}/${HOMES} online at the end`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

function countBy(xs: string[]): Record<string, number> {
  const o: Record<string, number> = {};
  for (const x of xs) o[x] = (o[x] ?? 0) + 1;
  return o;
}
