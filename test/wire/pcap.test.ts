import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseCapture, PcapngWriter, LinkType } from '../../src/wire/pcap.js';
import { loadCapture } from '../helpers/captures.js';
import { tsharkProblems } from '../helpers/tshark.js';
import { fuzzDecoder } from '../helpers/codec.js';

test('the three real captures read completely', () => {
  for (const [name, min] of [['pppd-rp-pppoe-chap-ipcp-ping.pcap', 20], ['xl2tpd-lac-lns-chap-ipcp-ping.pcap', 20], ['freeradius-chap-pap-tunnel-acct.pcap', 10]] as const) {
    const c = loadCapture(name);
    assert.equal(c.format, 'pcapng');
    assert.ok(c.packets.length >= min, `${name}: ${c.packets.length} packets`);
    assert.ok(c.packets.every((p) => p.data.length === p.originalLength));
  }
});

test('pcapng writer round-trips through our reader and through tshark', () => {
  const w = new PcapngWriter();
  const a = w.addInterface(LinkType.ETHERNET, 'home0-sse');
  const b = w.addInterface(LinkType.ETHERNET, 'nte-router');
  // A PADI from the real pppd capture.
  const padi = loadCapture('pppd-rp-pppoe-chap-ipcp-ping.pcap').packets[0]!.data;
  w.write(a, 1_700_000_000_123.456, padi);
  w.write(b, 1_700_000_001_000, padi.subarray(0, 14), padi.subarray(14));
  const bytes = w.bytes();
  const r = parseCapture(bytes);
  assert.ok(r.ok);
  assert.deepEqual(r.value.interfaces, [{ linkType: 1, name: 'home0-sse' }, { linkType: 1, name: 'nte-router' }]);
  assert.equal(r.value.packets.length, 2);
  assert.equal(r.value.packets[0]!.timestampMs, 1_700_000_000_123.456);
  assert.equal(r.value.packets[1]!.interfaceId, 1);
  assert.deepEqual(Buffer.from(r.value.packets[1]!.data), Buffer.from(padi));
  const dir = mkdtempSync(path.join(tmpdir(), 'pseudonet-pcap-'));
  const f = path.join(dir, 'w.pcapng');
  writeFileSync(f, bytes);
  assert.deepEqual(tsharkProblems(f), []);
});

test('truncated and lying capture files give typed errors, never throw', () => {
  const real = loadCapture('xl2tpd-lac-lns-chap-ipcp-ping.pcap');
  assert.ok(real.packets.length > 0);
  const w = new PcapngWriter();
  w.addInterface(1);
  w.write(0, 1, new Uint8Array(60));
  const seed = w.bytes();
  const r = fuzzDecoder(parseCapture, [seed], 20_000, 7);
  assert.ok(r.errors.size > 0);
  const t = parseCapture(seed.subarray(0, seed.length - 3));
  assert.equal(t.ok, false);
});
