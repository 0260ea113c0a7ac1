/**
 * Runs the pseudonet router on two real interfaces (AF_PACKET) on the wall clock, for
 * test/real/router-kernel.test.ts. argv: IF_A ADDR_A/LEN IF_B ADDR_B/LEN.
 * Prints {"ev":"ready"} once both ports are open; on a "show" line on stdin prints
 * {"ev":"show", arp, routes, counters}; ends on SIGTERM.
 */
import readline from 'node:readline';
import { AfPacket } from '../../src/io/afpacket.js';
import { WallClock } from '../../src/sim/clock.js';
import { Router } from '../../src/roles/router.js';
import { macFromString } from '../../src/wire/bytes.js';
import { parseCidr } from '../../src/wire/ipv4.js';

const [ifA, cidrA, ifB, cidrB] = process.argv.slice(2) as [string, string, string, string];
const out = (o: Record<string, unknown>): void => void process.stdout.write(JSON.stringify(o) + '\n');
const clock = new WallClock();
const router = new Router();
const ports: AfPacket[] = [];
let timerAt: number | undefined;
let timerId = 0;

function pump(): void {
  for (let t = router.pollTransmit(); t; t = router.pollTransmit()) ports[t.ifIndex]?.send(t.frame);
  const at = router.nextTimeout();
  if (at === timerAt) return;
  if (timerAt !== undefined) clock.cancel(timerId);
  timerAt = at;
  if (at !== undefined) timerId = clock.setTimer(at, () => { timerAt = undefined; router.handleTimeout(clock.now()); pump(); });
}

// The router's MACs are its own, not the veths': the namespace's kernel ignores frames for them.
const macs = [macFromString('02:00:00:00:71:01'), macFromString('02:00:00:00:72:01')];
[[ifA, cidrA], [ifB, cidrB]].forEach(([name, cidr], i) => {
  ports[i] = new AfPacket(name!, (f) => { router.handle(i, f, clock.now()); pump(); });
  const [address, prefixLength] = parseCidr(cidr!);
  router.addInterface({ kind: 'ethernet', name: name!, mac: macs[i]!, address, prefixLength }, clock.now());
});
pump();
out({ ev: 'ready' });

readline.createInterface({ input: process.stdin }).on('line', (l) => {
  if (l.trim() === 'show') out({ ev: 'show', arp: router.showArp(clock.now()), routes: router.showRoutes(), counters: router.showCounters() });
});
process.on('SIGTERM', () => {
  clock.cancelAll();
  for (const p of ports) p.close();
  process.exit(0);
});
