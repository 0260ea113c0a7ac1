/**
 * Regression: our client and our server in one process (as in the demo), the client's secret
 * a byte array. Deriving the secret's HMAC pads used the shared MD5 context in the middle of
 * the Response Authenticator hash, so every answer was dropped as bad-authenticator.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RadiusServer } from '../../src/roles/radius-server.js';
import { radiusServerConfigSchema } from '../../src/roles/radius-server-config.js';
import { RadiusClient } from '../../src/proto/radius-client.js';
import { ipv4FromString } from '../../src/wire/bytes.js';

for (const auth of ['pap', 'chap'] as const) {
  test(`in one process, a ${auth} Access-Request is answered and the answer verifies`, () => {
    const cfg = radiusServerConfigSchema.parse({ clients: [{ address: '10.0.0.1', secret: 's3cr3t' }], users: [{ name: 'u@a.example', password: 'pw', framedIp: '10.9.0.5' }] });
    const srv = new RadiusServer(cfg);
    const cli = new RadiusClient({ servers: [{ address: '10.0.0.2', secret: new TextEncoder().encode('s3cr3t') }], nasIdentifier: 'nas' });
    for (let i = 0; i < 3; i++) {
      cli.accessRequest({ userName: 'u@a.example', auth: auth === 'pap' ? { type: 'pap', password: 'pw' } : { type: 'chap', id: 1, challenge: new Uint8Array(16).fill(7), response: new Uint8Array(16) } }, i);
      const t = cli.pollTransmit()!;
      srv.handle({ service: 'auth', address: '10.0.0.1', port: 50000, bytes: t.bytes }, i);
      const r = srv.pollTransmit()!;
      cli.handle({ socket: 0, address: ipv4FromString('10.0.0.2'), port: 1812, bytes: r.bytes }, i);
      const e = cli.pollEvent();
      assert.equal(e?.type, 'access-response', JSON.stringify(cli.counters.dropped));
      // PAP with the right password is accepted; the CHAP response here is zeros, so rejected — but verified either way.
      if (e?.type === 'access-response') assert.equal(e.accepted, auth === 'pap');
    }
    assert.equal(cli.counters.dropped['bad-authenticator'], 0);
  });
}
