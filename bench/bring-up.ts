/**
 * The bench scripts' common start: the default topology with N generated homes on a virtual
 * clock, and a dial of every home with at most a window of them in setup at once (the sse
 * refuses PADRs beyond the 16,384 sessions it sets up at once, as a BNG does in a dial storm).
 */
import { Network } from '../src/sim/network.js';
import { loadTopology, type Topology } from '../src/config/topology.js';
import { withHomes } from '../src/config/generate.js';
import { VirtualClock } from '../src/sim/clock.js';

/** The default topology with `n` generated homes. */
export function homesTopology(n: number): Topology {
  return withHomes(loadTopology('topologies/default.yaml'), n);
}

/** The network of a topology (or of `n` generated homes), none dialled yet, after the first kicks (gratuitous ARPs). */
export function homesNetwork(t: Topology | number): { net: Network; clock: VirtualClock } {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const net = new Network(typeof t === 'number' ? homesTopology(t) : t, { clock });
  clock.runUntil(clock.now() + 1);
  return { net, clock };
}

/** Starts the homes in order, `window` at a time: `begin()` the first window, `next()` one more (when one has come online). */
export function dialer(net: Network, window = 10_000): { begin(): void; next(): void } {
  let next = 0;
  const startNext = (): void => {
    const h = net.homes[next++];
    if (h) net.act(h.cfg.name, (now) => h.start(now));
  };
  return {
    begin: () => {
      for (let k = 0; k < window && k < net.homes.length; k++) startNext();
    },
    next: startNext,
  };
}

/** Dials every home, `window` at a time, until all are online or `timeoutMs` virtual ms pass; returns how many came online. */
export function dialAll(net: Network, clock: VirtualClock, window = 10_000, timeoutMs = 600_000): number {
  const n = net.homes.length;
  const d = dialer(net, window);
  let online = 0;
  net.onEvent((e) => {
    if (e.kind === 'home' && e.event.type === 'online') {
      online++;
      d.next();
    }
  });
  d.begin();
  clock.runUntilTrue(() => online === n, clock.now() + timeoutMs);
  return online;
}
