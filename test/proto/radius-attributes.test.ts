/**
 * What a NAS keeps from an Access-Accept for the session's life (RFC 2865 §5.25 Class, sent
 * back in every Accounting-Request; §5.24 State) holds no view of the received datagram: a
 * datagram may be a slab shared with other packets (src/wire/packet-buffer.ts), which a
 * view kept for hours would hold.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { A, RadiusCode, radiusPacket } from '../../src/wire/radius.js';
import { readAccessReply } from '../../src/proto/radius-attributes.js';
import { fromHex } from '../../src/wire/bytes.js';
import { encode } from '../../src/wire/result.js';

test('Class and State read from an Access-Accept are copies, not views of the datagram', () => {
  const datagram = encode(radiusPacket, {
    code: RadiusCode.ACCESS_ACCEPT, identifier: 3, authenticator: new Uint8Array(16),
    attributes: [{ type: A.CLASS, data: fromHex('0102030405') }, { type: A.CLASS, data: fromHex('aabb') }, { type: A.STATE, data: fromHex('5a5a5a') }],
  });
  const parsed = radiusPacket.parse(datagram);
  assert.ok(parsed.ok);
  const reply = readAccessReply(parsed.value, 'secret', new Uint8Array(16));
  const kept = [...reply.class, reply.state!];
  for (const [i, v] of kept.entries()) assert.notEqual(v.buffer, datagram.buffer, `value ${i} is a view of the datagram`);
  datagram.fill(0xee);
  assert.deepEqual(kept.map((v) => Buffer.from(v).toString('hex')), ['0102030405', 'aabb', '5a5a5a']);
});
