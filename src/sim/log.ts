/**
 * Logging through pino: warnings only by default; with -v every frame on every link at
 * debug level (box, link, protocol and the Wireshark-style name), as JSON lines on stderr.
 * Secrets never reach a log line: frames are logged by name, never by content.
 */
import { pino, type Logger } from 'pino';
import type { Network } from './network.js';
import { frameLogFields } from '../config/observe.js';

export function createLogger(verbose: boolean): Logger {
  return pino({ level: verbose ? 'debug' : 'warn', base: undefined, timestamp: false }, pino.destination(2));
}

/** Logs every frame of every link (debug) and the network's events (info). */
export function logNetwork(net: Network, log: Logger): void {
  if (!log.isLevelEnabled('debug')) return;
  const epoch = net.clock.now();
  for (const [link, s] of net.segments) {
    s.observe((frame, from, at) => {
      const d = frameLogFields(frame);
      log.debug({ t: +((at - epoch) / 1000).toFixed(6), link, from, protocol: d.protocol }, d.label);
    });
  }
  net.onEvent((e) => {
    const { type } = e.event as { type?: string; kind?: string };
    log.info({ t: +((e.at - epoch) / 1000).toFixed(6), box: e.box, event: type ?? (e.event as { kind: string }).kind });
  });
}
