/**
 * The in-process network as a Prometheus source for the one exporter (src/config/metrics.ts):
 * every box's counters (the homes' counters summed, as box "homes"), sessions and
 * tunnels by state, and every in-memory link's frames. Read at scrape time.
 */
import type { Registry } from 'prom-client';
import { Exporter, byState, type MetricsSource } from '../config/metrics.js';
import type { Network } from './network.js';

/** Adds every numeric leaf of `o` into `into` (same shape). */
function addInto(into: Record<string, unknown>, o: object): void {
  for (const [k, v] of Object.entries(o)) {
    if (typeof v === 'number') into[k] = ((into[k] as number | undefined) ?? 0) + v;
    else if (v && typeof v === 'object') addInto((into[k] ??= {}) as Record<string, unknown>, v);
  }
}

export function networkMetricsSource(net: Network): MetricsSource {
  const running = (): [string, { box: { kind: string; show(v: 'counters' | 'sessions' | 'tunnels', now: number): unknown } }][] =>
    [...net.drivers].filter(([name]) => !net.stopped.has(name)) as never;
  return {
    *boxCounters() {
      const now = net.clock.now();
      // Homes by the thousand: one series per counter for all of them (a label per home would be thousands of series).
      const host: Record<string, unknown> = {};
      for (const h of net.homes) if (h.host) addInto(host, h.host.counters);
      yield { box: 'homes', counters: { home: net.homeCounters, host } };
      for (const [box, d] of running()) if (d.box.kind !== 'home') yield { box, counters: d.box.show('counters', now) };
    },
    *sessionsByState() {
      yield* Object.entries(net.sse.sessionsByState()).map(([state, value]) => ({ box: net.topology.sse.name, state, value }));
      const now = net.clock.now();
      for (const [box, d] of running()) if (d.box.kind === 'nte') yield* byState(box, d.box.show('sessions', now));
      const homes = new Map<string, number>();
      for (const h of net.homes) {
        const s = h.isOnline ? 'online' : net.held.has(h.cfg.name) ? 'down' : h.pppoeState;
        homes.set(s, (homes.get(s) ?? 0) + 1);
      }
      for (const [state, value] of homes) yield { box: 'homes', state, value };
    },
    *tunnelsByState() {
      const now = net.clock.now();
      for (const [box, d] of running()) if (d.box.kind === 'nte' || d.box.kind === 'sse') yield* byState(box, d.box.show('tunnels', now));
    },
    *links() {
      for (const [link, s] of net.segments) yield { link, counters: { ...s.counters } };
    },
  };
}

/** The exporter of a network (histograms only fill when the network's frames are observed: src/sim/network-api.ts). */
export function networkExporter(net: Network): Exporter {
  return new Exporter(networkMetricsSource(net));
}

/** Every metric of a network as it is now (what `demo` and `run` write to metrics.prom). */
export function networkRegistry(net: Network): Registry {
  return networkExporter(net).registry();
}
