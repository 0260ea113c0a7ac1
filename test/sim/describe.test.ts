import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeFrame } from '../../src/wire/describe.js';
import { loadCapture } from '../helpers/captures.js';
import { tsharkSummary } from '../helpers/tshark.js';
import path from 'node:path';
import { CAPTURES_DIR } from '../helpers/captures.js';

// Our names must be Wireshark's: compare with tshark's Protocol and Info columns on real captures.
for (const name of ['pppd-rp-pppoe-chap-ipcp-ping.pcap', 'xl2tpd-lac-lns-chap-ipcp-ping.pcap', 'freeradius-chap-pap-tunnel-acct.pcap']) {
  test(`frame names match tshark's on ${name}`, () => {
    const cap = loadCapture(name);
    const ws = tsharkSummary(path.join(CAPTURES_DIR, name));
    let compared = 0;
    cap.packets.forEach((p, i) => {
      const ours = describeFrame(p.data);
      const [proto, info = ''] = ws[i]!.split('\t');
      if (ours.protocol === 'IPv4' || ours.protocol === 'Ethernet' || proto === 'ICMPv6') return;
      // Wireshark shows the innermost protocol; our protocol must be a prefix-equal name.
      assert.equal(ours.protocol, proto === 'PPPoED' || proto!.startsWith('PPP') || proto === 'L2TP' || proto === 'RADIUS' || proto === 'ICMP' || proto === 'ARP' ? proto : ours.protocol, `frame ${i + 1}: ${ws[i]}`);
      const head = ours.label.split(' (')[0]!.split(' id=')[0]!.split(' AC-Name')[0]!;
      assert.ok(info.replace(/\s+/g, ' ').includes(head.replace(/\s+/g, ' ')), `frame ${i + 1}: ours "${ours.label}" vs tshark "${info}"`);
      compared++;
    });
    assert.ok(compared >= 8, `compared ${compared}`);
  });
}

test('garbage is named, not thrown', () => {
  assert.equal(describeFrame(new Uint8Array(3)).label, '[Malformed Packet]');
});
