/**
 * Our RADIUS client against a real FreeRADIUS 3.2 (started here from its own raddb copy on
 * loopback high ports, stopped by pid), and radclient against our RFC 5176 listener.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFreeRadius, type FreeRadius } from '../helpers/freeradius.js';
import { radclient, received } from '../helpers/radclient.js';
import { UdpRadiusClient, type AccessResult } from '../../src/io/radius-client.js';
import { chapResponse } from '../../src/wire/radius-crypto.js';
import { bytesText, ipv4FromString, ipv4ToString } from '../../src/wire/bytes.js';
import { A, AcctStatusType, AcctTerminateCause, getAttr } from '../../src/wire/radius.js';
import type { RadiusClientConfig } from '../../src/proto/radius-client.js';

const USERS = `
alice@isp-a.example Cleartext-Password := "secret"
	Framed-IP-Address = 198.51.100.10,
	Framed-IP-Netmask = 255.255.255.255,
	Session-Timeout = 3600,
	Reply-Message = "welcome alice"

isp-a.example Cleartext-Password := "tunnel"
	Tunnel-Type:1 = L2TP,
	Tunnel-Medium-Type:1 = IP,
	Tunnel-Server-Endpoint:1 = "192.0.2.2",
	Tunnel-Password:1 = "l2tpsecret",
	Tunnel-Assignment-Id:1 = "isp-a",
	Tunnel-Preference:1 = 1,
	Tunnel-Type:2 = L2TP,
	Tunnel-Medium-Type:2 = IP,
	Tunnel-Server-Endpoint:2 = "192.0.2.3",
	Tunnel-Password:2 = "a-second-lns-secret-longer-than-16",
	Tunnel-Assignment-Id:2 = "isp-a",
	Tunnel-Preference:2 = 2
`;

let fr: FreeRadius;
let client: UdpRadiusClient;
const warnings: string[] = [];

function config(extra: Partial<RadiusClientConfig> = {}): RadiusClientConfig {
  return {
    servers: [{ name: 'freeradius', address: '127.0.0.1', authPort: fr.authPort, acctPort: fr.acctPort, secret: 'testing123', requireMessageAuthenticator: false }],
    nasIpAddress: ipv4FromString('192.0.2.1'),
    nasIdentifier: 'nte-isp-a',
    initialRtoMs: 1000,
    ...extra,
  };
}

before(async () => {
  fr = await startFreeRadius({ users: USERS });
  client = await UdpRadiusClient.start({ ...config(), bind: '127.0.0.1' });
  client.on('warning', (m: string) => warnings.push(m));
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
});

after(async () => {
  await client?.close();
  await fr?.stop();
});

function accepted(r: AccessResult): Extract<AccessResult, { type: 'access-response' }> {
  assert.equal(r.type, 'access-response', 'answered');
  return r as Extract<AccessResult, { type: 'access-response' }>;
}

test('FreeRADIUS sends no Message-Authenticator: accepting that needs the explicit setting, and it warns loudly', async () => {
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /freeradius.*WITHOUT Message-Authenticator.*BlastRADIUS \(CVE-2024-3596\)/);
  // The default client drops FreeRADIUS's answer and counts why.
  const strict = await UdpRadiusClient.start({ ...config({ triesPerServer: 1, initialRtoMs: 400 }), servers: [{ ...config().servers[0]!, requireMessageAuthenticator: true }], bind: '127.0.0.1' });
  try {
    const r = await strict.authenticate({ userName: 'alice@isp-a.example', auth: { type: 'pap', password: 'secret' } });
    assert.equal(r.type, 'access-timeout');
    assert.equal(strict.machine.counters.dropped['missing-message-authenticator'], 1);
  } finally {
    await strict.close();
  }
});

test('PAP and CHAP against FreeRADIUS: Accept with Framed-IP for the right password, Reject for a wrong one', async () => {
  const challenge = Uint8Array.from({ length: 16 }, (_, i) => 0x30 + i);
  const longChallenge = Uint8Array.from({ length: 20 }, (_, i) => 0x90 + i);
  const [papOk, papBad, chapOk, chapLong, chapBad] = await Promise.all([
    client.authenticate({ userName: 'alice@isp-a.example', auth: { type: 'pap', password: 'secret' }, nasPort: 1, callingStationId: '02:00:00:00:00:01' }),
    client.authenticate({ userName: 'alice@isp-a.example', auth: { type: 'pap', password: 'wrong' } }),
    client.authenticate({ userName: 'alice@isp-a.example', auth: { type: 'chap', id: 1, challenge, response: chapResponse(1, 'secret', challenge) }, nasPort: 2 }),
    client.authenticate({ userName: 'alice@isp-a.example', auth: { type: 'chap', id: 2, challenge: longChallenge, response: chapResponse(2, 'secret', longChallenge) } }),
    client.authenticate({ userName: 'alice@isp-a.example', auth: { type: 'chap', id: 3, challenge, response: chapResponse(3, 'wrong', challenge) } }),
  ]);
  for (const [what, r, ok] of [['PAP', papOk, true], ['PAP wrong', papBad, false], ['CHAP', chapOk, true], ['CHAP with CHAP-Challenge', chapLong, true], ['CHAP wrong', chapBad, false]] as const) {
    assert.equal(accepted(r).accepted, ok, what);
  }
  const a = accepted(chapOk);
  assert.equal(ipv4ToString(a.reply.framedIpAddress!), '198.51.100.10');
  assert.equal(a.reply.sessionTimeout, 3600);
  assert.equal(a.reply.replyMessage, 'welcome alice');
  assert.equal(bytesText(getAttr(a.packet, A.REPLY_MESSAGE)!.data), 'welcome alice');
  // FreeRADIUS requires a Message-Authenticator from this client (clients.conf) and answered: ours verified.
  assert.equal(client.machine.counters.acceptedWithoutMessageAuthenticator >= 5, true);
});

test('Tunnel-* from FreeRADIUS: two tagged LNS, Tunnel-Passwords decrypted (one longer than 16 octets)', async () => {
  const r = accepted(await client.authenticate({ userName: 'isp-a.example', auth: { type: 'pap', password: 'tunnel' } }));
  assert.ok(r.accepted);
  assert.deepEqual(r.reply.tunnels.map((t) => [t.tag, t.type, t.mediumType, t.serverEndpoint, t.password && bytesText(t.password), t.assignmentId, t.preference]), [
    [1, 3, 1, '192.0.2.2', 'l2tpsecret', 'isp-a', 1],
    [2, 3, 1, '192.0.2.3', 'a-second-lns-secret-longer-than-16', 'isp-a', 2],
  ]);
});

test('accounting Start, Interim-Update, Stop to FreeRADIUS: Accounting-Responses, and its detail file shows what we sent', async () => {
  const acked: number[] = [];
  const done = new Promise<void>((resolve) => {
    const on = (rec: { statusType: number }) => {
      acked.push(rec.statusType);
      if (acked.length === 3) {
        client.off('accounting-acked', on);
        resolve();
      }
    };
    client.on('accounting-acked', on);
  });
  const base = { sessionId: 'fr-0001', userName: 'alice@isp-a.example', framedIpAddress: ipv4FromString('198.51.100.10'), nasPort: 9, callingStationId: '02:00:00:00:00:01' };
  client.account({ ...base, statusType: AcctStatusType.START });
  client.account({ ...base, statusType: AcctStatusType.INTERIM_UPDATE, sessionTime: 300, inputOctets: 2 ** 32 + 1000, outputOctets: 3 * 2 ** 32 + 7, inputPackets: 100, outputPackets: 200 });
  client.account({ ...base, statusType: AcctStatusType.STOP, sessionTime: 600, inputOctets: 2 ** 32 + 5000, outputOctets: 3 * 2 ** 32 + 9, inputPackets: 150, outputPackets: 250, terminateCause: AcctTerminateCause.USER_REQUEST });
  await done;
  assert.deepEqual(acked, [1, 3, 2], 'in order');
  const detail = fr.detail();
  const records = detail.split(/\n(?=\w{3} \w{3} )/).filter((r) => r.includes('fr-0001'));
  assert.equal(records.length, 3);
  const stop = records[2]!;
  for (const line of ['Acct-Status-Type = Stop', 'Acct-Session-Id = "fr-0001"', 'Acct-Session-Time = 600', 'Acct-Input-Octets = 5000', 'Acct-Input-Gigawords = 1',
    'Acct-Output-Octets = 9', 'Acct-Output-Gigawords = 3', 'Acct-Input-Packets = 150', 'Acct-Terminate-Cause = User-Request', 'Framed-IP-Address = 198.51.100.10',
    'NAS-Identifier = "nte-isp-a"', 'NAS-IP-Address = 192.0.2.1', 'Acct-Delay-Time = 0']) {
    assert.ok(stop.includes(line), `detail has ${line}:\n${stop}`);
  }
  assert.match(records[0]!, /Acct-Status-Type = Start/);
  assert.match(records[1]!, /Acct-Status-Type = Interim-Update/);
});

test('radclient as Dynamic Authorization Client: Disconnect-ACK, CoA-NAK with Error-Cause; a wrong secret gets nothing', async () => {
  const dae = await UdpRadiusClient.start({
    ...config(),
    bind: '127.0.0.1',
    dynamicAuthorization: { port: 0, bind: '127.0.0.1', clients: [{ address: '127.0.0.1', secret: 'dae-secret' }], nasIpAddress: ipv4FromString('192.0.2.1') },
  });
  const seen: string[] = [];
  dae.onDynamicAuthorization((ev) => {
    seen.push(`${ev.type} ${ev.session.userName} ${ev.session.acctSessionId}`);
    if (ev.type === 'disconnect-request' && ev.session.acctSessionId === 'fr-0001') return { ack: true };
    return { ack: false, errorCause: 503 };
  });
  try {
    const port = dae.daePort!;
    const disc = await radclient(port, 'disconnect', 'dae-secret', 'User-Name = "alice@isp-a.example", Acct-Session-Id = "fr-0001", NAS-IP-Address = 192.0.2.1');
    assert.equal(received(disc.stdout)?.code, 'Disconnect-ACK', disc.stdout + disc.stderr);
    const coa = await radclient(port, 'coa', 'dae-secret', 'User-Name = "bob@isp-a.example", Acct-Session-Id = "none", Session-Timeout = 60, Message-Authenticator = 0x00');
    const c = received(coa.stdout);
    assert.equal(c?.code, 'CoA-NAK', coa.stdout + coa.stderr);
    assert.ok(c.attributes.includes('Error-Cause = Session-Context-Not-Found'), c.attributes.join('\n'));
    const wrongNas = await radclient(port, 'disconnect', 'dae-secret', 'User-Name = "alice@isp-a.example", NAS-IP-Address = 192.0.2.99');
    assert.ok(received(wrongNas.stdout)?.attributes.includes('Error-Cause = NAS-Identification-Mismatch'), wrongNas.stdout);
    const forged = await radclient(port, 'disconnect', 'not-the-secret', 'User-Name = "alice@isp-a.example", Acct-Session-Id = "fr-0001"', { timeout: 1, retries: 1 });
    assert.equal(received(forged.stdout), undefined, 'no answer to a wrong secret');
    assert.ok(dae.dae!.counters.dropped['bad-authenticator'] >= 1);
    assert.deepEqual(seen, ['disconnect-request alice@isp-a.example fr-0001', 'coa-request bob@isp-a.example none']);
  } finally {
    await dae.close();
  }
});
