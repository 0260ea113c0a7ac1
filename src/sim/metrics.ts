/**
 * Every counter of a network in a prom-client registry: PPPoE, PPP, L2TP, RADIUS, router
 * and link counters, sessions by state. Gauges read the roles' counter objects when the
 * registry is scraped, so nothing is counted twice and the data path pays nothing.
 */
import { Registry, Gauge } from 'prom-client';
import type { Network } from './network.js';

type Sample = { labels: Record<string, string>; value: number };

/** Flattens nested counter objects into `a_b_c` names with numeric leaves. */
function flatten(o: unknown, prefix: string, out: [string, number][]): void {
  if (typeof o === 'number') out.push([prefix, o]);
  else if (o && typeof o === 'object') for (const [k, v] of Object.entries(o)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
}

function gauge(reg: Registry, name: string, help: string, collect: () => Sample[]): void {
  new Gauge({
    name,
    help,
    labelNames: ['box', 'counter', 'state', 'link'],
    registers: [reg],
    collect() {
      this.reset();
      for (const s of collect()) this.set(s.labels, s.value);
    },
  });
}

export function networkRegistry(net: Network): Registry {
  const reg = new Registry();
  const counters = (box: string, o: unknown): Sample[] => {
    const flat: [string, number][] = [];
    flatten(o, '', flat);
    return flat.map(([counter, value]) => ({ labels: { box, counter }, value }));
  };
  gauge(reg, 'pseudonet_counter', 'Every protocol counter of every box, by name (drops by reason, retransmits, messages in and out)', () => [
    ...counters('homes', net.homeCounters),
    ...counters(net.topology.sse.name, net.sse.counters),
    ...counters(`${net.topology.sse.name}.pppoe`, net.sse.ac.counters),
    ...counters(`${net.topology.sse.name}.l2tp`, net.sse.l2tp.counters),
    ...net.isps.flatMap((b) => [
      ...counters(b.isp.lns.name, b.nte.counters),
      ...counters(`${b.isp.lns.name}.l2tp`, b.nte.l2tp.counters),
      ...counters(`${b.isp.lns.name}.radius`, b.nte.radius.counters),
      ...counters(`${b.isp.lns.name}.router`, b.nte.router.showCounters()),
    ]),
    ...counters(net.topology.router.name, net.router.showCounters()),
    ...counters(net.topology.server.name, net.server.counters),
  ]);
  gauge(reg, 'pseudonet_sse_sessions', 'Subscriber sessions at the sse by state', () =>
    Object.entries(net.sse.sessionsByState()).map(([state, value]) => ({ labels: { box: net.topology.sse.name, state }, value })),
  );
  gauge(reg, 'pseudonet_lns_sessions', 'Sessions at each LNS', () => net.isps.map((b) => ({ labels: { box: b.isp.lns.name }, value: b.nte.sessionCount })));
  gauge(reg, 'pseudonet_link_frames', 'Frames per link: sent, delivered, lost, duplicated, corrupted, over MTU', () =>
    [...net.segments].flatMap(([link, s]) => Object.entries(s.counters).map(([counter, value]) => ({ labels: { link, counter }, value }))),
  );
  return reg;
}
