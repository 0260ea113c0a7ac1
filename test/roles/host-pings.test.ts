import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Host, type HostEvent } from '../../src/roles/host.js';
import { icmpPacket } from '../../src/wire/packets.js';
import { IcmpType } from '../../src/wire/icmp.js';
import { ipv4FromString as ip } from '../../src/wire/bytes.js';

const A = ip('198.51.100.10');
const B = ip('203.0.113.10');

/** B's Echo Reply to A for (identifier, sequence). */
const reply = (identifier: number, sequence: number): Uint8Array =>
  icmpPacket({ src: B, dst: A, ttl: 60, identification: 1 }, { kind: 'echo', type: IcmpType.ECHO_REPLY, code: 0, identifier, sequence, data: new Uint8Array(8) });

function drain(h: Host): HostEvent[] {
  const out: HostEvent[] = [];
  while (h.pollTransmit());
  for (let e = h.pollEvent(); e; e = h.pollEvent()) out.push(e);
  return out;
}

test('echo replies are matched on identifier and sequence, each once, with its own RTT', () => {
  const h = new Host({ name: 'a', kind: 'p2p', address: A }, 0);
  h.ping(B, { identifier: 0x5053, sequence: 7 }, 100);
  h.ping(B, { identifier: 0xfffe, sequence: 7 }, 250); // same sequence, an identifier beyond 2^14
  drain(h);
  h.handle(0, reply(0xfffe, 7), 300);
  h.handle(0, reply(0xfffe, 7), 301); // a duplicate reply is not reported again
  h.handle(0, reply(0x1234, 7), 302); // nobody sent that identifier
  h.handle(0, reply(0x5053, 7), 400);
  const got = drain(h).map((e) => (e.kind === 'echo-reply' ? `${e.identifier.toString(16)}/${e.sequence} ${e.rtt}` : e.kind));
  assert.deepEqual(got, ['fffe/7 50', '5053/7 300']);
});

test('a host awaits at most 4,096 echoes: beyond that the oldest is forgotten, the newest still answered', () => {
  const h = new Host({ name: 'a', kind: 'p2p', address: A }, 0);
  for (let i = 0; i < 5000; i++) h.ping(B, { identifier: 1 + (i >> 16), sequence: i & 0xffff }, i);
  drain(h);
  h.handle(0, reply(1, 0), 6000); // among the first 904: forgotten
  h.handle(0, reply(1, 903), 6000);
  h.handle(0, reply(1, 904), 6000); // the oldest still awaited
  h.handle(0, reply(1, 4999), 6000);
  const got = drain(h).map((e) => (e.kind === 'echo-reply' ? e.sequence : -1));
  assert.deepEqual(got, [904, 4999]);
});

test('echoes in flight, one or many, under any identifiers and sequences: each reply matches what a plain map of sent times says', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ reply: fc.boolean(), identifier: fc.constantFrom(0, 1, 0x5053, 0xffff), sequence: fc.constantFrom(0, 1, 2, 0xffff) }), { maxLength: 200 }),
      (ops) => {
        const h = new Host({ name: 'a', kind: 'p2p', address: A }, 0);
        const model = new Map<string, number>();
        const want: string[] = [];
        let now = 0;
        for (const o of ops) {
          now += 1;
          const k = `${o.identifier}/${o.sequence}`;
          if (o.reply) {
            h.handle(0, reply(o.identifier, o.sequence), now);
            const at = model.get(k);
            if (at !== undefined) {
              want.push(`${k} ${now - at}`);
              model.delete(k);
            }
          } else {
            h.ping(B, { identifier: o.identifier, sequence: o.sequence }, now);
            model.set(k, now);
          }
        }
        const got = drain(h).map((e) => (e.kind === 'echo-reply' ? `${e.identifier}/${e.sequence} ${e.rtt}` : e.kind));
        assert.deepEqual(got, want);
      },
    ),
  );
});
