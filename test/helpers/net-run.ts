/**
 * The default network on the virtual clock for end-to-end tests: the topology (edited),
 * every event and accounting record seen, homes by name, and `up()` that starts homes and
 * runs until they are online (it returns whether they came up; each test asserts as it needs).
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { Network, type NetEvent } from '../../src/sim/network.js';
import { topologySchema, type Topology } from '../../src/config/topology.js';
import { VirtualClock } from '../../src/sim/clock.js';
import type { AccountingLine } from '../../src/roles/radius-server.js';

export const EPOCH = Date.UTC(2026, 0, 1);

/** topologies/default.yaml, edited as raw YAML, then validated. */
export function topo(edit: (t: Record<string, any>) => void = () => {}): Topology {
  const raw = parse(readFileSync('topologies/default.yaml', 'utf8'));
  edit(raw);
  return topologySchema.parse(raw);
}

export interface Run {
  net: Network;
  clock: VirtualClock;
  events: NetEvent[];
  acct: AccountingLine[];
  home(name: string): Network['homes'][number];
  /** Events of one home of one type. */
  homeEvents(name: string, type: string): NetEvent[];
  /** Starts the homes and runs until every one of them is online (or 30 s passed): whether they are. */
  up(names?: string[]): boolean;
}

export function start(t: Topology, homeEchoIntervalMs = 30_000): Run {
  const clock = new VirtualClock(EPOCH);
  const net = new Network(t, { clock, homeEchoIntervalMs });
  const events: NetEvent[] = [];
  const acct: AccountingLine[] = [];
  net.onEvent((e) => {
    events.push(e);
    if (e.kind === 'radius' && e.event.type === 'accounting') acct.push(e.event.line);
  });
  const home = (n: string) => net.homes.find((h) => h.cfg.name === n)!;
  return {
    net, clock, events, acct, home,
    homeEvents: (n, type) => events.filter((e) => e.box === n && e.kind === 'home' && e.event.type === type),
    up(names = t.homes.map((h) => h.name)) {
      for (const n of names) net.act(n, (now) => home(n).start(now));
      return clock.runUntilTrue(() => names.every((n) => home(n).isOnline), clock.now() + 30_000);
    },
  };
}
