/**
 * Carries a relay box's RADIUS datagrams (src/roles/radius-relay.ts) to a real server over
 * UDP and its answers back: one socket per NAS source (address, port, service), so the
 * server sees each NAS socket as its own source, as it would on a real network.
 */
import dgram from 'node:dgram';
import type { RelayCarrier, RelayDatagram } from '../roles/radius-relay.js';

export const relayOverUdp: RelayCarrier = (answer, server) => {
  const sockets = new Map<string, dgram.Socket>();
  const socketFor = (d: RelayDatagram): dgram.Socket => {
    const key = `${d.from}:${d.fromPort}:${d.service}`;
    let sock = sockets.get(key);
    if (!sock) {
      const s = dgram.createSocket('udp4');
      s.on('message', (msg) => answer(d, new Uint8Array(msg.buffer, msg.byteOffset, msg.length)));
      s.unref();
      sockets.set(key, s);
      sock = s;
    }
    return sock;
  };
  return {
    send: (d) => socketFor(d).send(d.payload, d.service === 'acct' ? server.acctPort : server.authPort, server.address),
    close: () => {
      for (const s of sockets.values()) s.close();
      sockets.clear();
    },
  };
};
