/**
 * Runs tshark-based checks with IPv4, ICMP, UDP and TCP checksum validation switched on
 * (off by default in Wireshark), through a private configuration directory.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function withChecksumChecks<T>(dir: string, fn: () => T): T {
  const cfg = path.join(dir, 'wsconfig');
  mkdirSync(cfg, { recursive: true });
  writeFileSync(path.join(cfg, 'preferences'), ['ip.check_checksum: TRUE', 'udp.check_checksum: TRUE', 'tcp.check_checksum: TRUE', 'icmp.check_checksum: TRUE', ''].join('\n'));
  const prev = process.env.WIRESHARK_CONFIG_DIR;
  process.env.WIRESHARK_CONFIG_DIR = cfg;
  try {
    return fn();
  } finally {
    if (prev === undefined) delete process.env.WIRESHARK_CONFIG_DIR;
    else process.env.WIRESHARK_CONFIG_DIR = prev;
  }
}
