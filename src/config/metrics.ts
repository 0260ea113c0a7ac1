/**
 * The Prometheus exporter of the in-process network and of a `pseudonet up` box: every
 * protocol counter a box's `show('counters')` returns as a real counter
 * (`pseudonet_<path>_total{box=...}`, the path snake_cased), the few level-like leaves as
 * gauges, sessions and tunnels by state as gauges, and histograms of session setup (PADI →
 * IPCP up) and RADIUS round-trip time. Counters are read from the roles' objects at scrape
 * time, so the data path pays nothing. The output passes `promtool check metrics`.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface MetricsSource {
  /** Each box's `show('counters')` (nested objects with numeric leaves). */
  boxCounters(): Iterable<{ readonly box: string; readonly counters: unknown }>;
  sessionsByState(): Iterable<{ readonly box: string; readonly state: string; readonly value: number }>;
  tunnelsByState(): Iterable<{ readonly box: string; readonly state: string; readonly value: number }>;
  /** In-memory links (the in-process network only). */
  links?(): Iterable<{ readonly link: string; readonly counters: Readonly<Record<string, number>> }>;
}

/** Leaves that are levels, not counts (a gauge each). */
const LEVELS = new Set(['active', 'socketsInUse', 'queued', 'outstanding', 'cwnd', 'inSetup', 'online', 'homes', 'started', 'latencyMsMax', 'setupMs', 'setupsPerSecond', 'inflight', 'backlog']);

/** promtool's unit abbreviations, which must not stand alone in a name ("notForUs" is not microseconds). */
const ABBREVIATIONS = new Set(['s', 'ms', 'us', 'ns', 'sec', 'b', 'kb', 'mb', 'gb', 'tb', 'pb', 'm', 'h', 'd']);
const SPELLED: Record<string, string> = { us: 'self' };

/** `route.radius-accept` → `route_radius_accept`, `rxFrames` → `rx_frames`; milliseconds become seconds. */
export function metricPart(key: string): string {
  const s = key
    .replace(/Ms(?=[A-Z]|$)/g, 'Seconds')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .replace(/_+/g, '_');
  const parts = s.split('_').map((p) => (ABBREVIATIONS.has(p) ? (SPELLED[p] ?? `${p}x`) : p));
  const out = parts.join('_');
  return /^[0-9]/.test(out) ? `n${out}` : out || 'value';
}

interface Leaf {
  readonly name: string;
  readonly gauge: boolean;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** Flattens nested counters: the ports of a box become a `port` label, everything else a name. */
function leaves(box: string, o: unknown, path: string[], labels: Record<string, string>, out: Leaf[]): void {
  if (typeof o === 'number') {
    if (!Number.isFinite(o) || path.length === 0) return;
    const key = path[path.length - 1]!;
    const ms = /Ms(?=[A-Z]|$)/.test(key);
    const gauge = LEVELS.has(key);
    const name = `pseudonet_${path.map(metricPart).join('_')}`;
    out.push({ name: gauge ? name : `${name.replace(/_total$/, '')}_total`, gauge, labels: { box, ...labels }, value: ms ? o / 1000 : o });
    return;
  }
  if (!o || typeof o !== 'object' || Array.isArray(o)) return;
  for (const [k, v] of Object.entries(o)) {
    if (path.length === 0 && k === 'ports' && v && typeof v === 'object') {
      for (const [port, pv] of Object.entries(v)) leaves(box, (pv as { counters?: unknown })?.counters ?? {}, ['port'], { ...labels, port }, out), leaves(box, (pv as { kernel?: unknown })?.kernel ?? {}, ['port', 'kernel'], { ...labels, port }, out);
      continue;
    }
    if (k === 'counters' && path.length > 0) leaves(box, v, path, labels, out);
    else leaves(box, v, [...path, k], labels, out);
  }
}

export class Exporter {
  private readonly fixed = new Registry();
  private readonly setup: Histogram;
  private readonly rtt: Histogram;

  constructor(private readonly source: MetricsSource) {
    this.setup = new Histogram({ name: 'pseudonet_session_setup_seconds', help: 'Time from a home\'s first PADI to IPCP up (seconds)', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60], registers: [this.fixed] });
    this.rtt = new Histogram({ name: 'pseudonet_radius_rtt_seconds', help: 'RADIUS request to answer as seen on the wire (seconds)', labelNames: ['server'], buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 3], registers: [this.fixed] });
  }

  observeSetup(seconds: number): void {
    if (Number.isFinite(seconds) && seconds >= 0) this.setup.observe(seconds);
  }

  /** Distinct `server` labels; the frames they come from are a peer's, so their number is capped. */
  private readonly servers = new Set<string>();

  observeRadiusRtt(server: string, seconds: number): void {
    if (!Number.isFinite(seconds) || seconds < 0) return;
    if (!this.servers.has(server) && this.servers.size >= 64) server = 'other';
    else this.servers.add(server);
    this.rtt.observe({ server }, seconds);
  }

  readonly contentType = 'text/plain; version=0.0.4; charset=utf-8';

  /** The registry of this moment: every counter as it is now, plus the histograms. */
  registry(): Registry {
    const reg = new Registry();
    const all: Leaf[] = [];
    for (const b of this.source.boxCounters()) leaves(b.box, b.counters, [], {}, all);
    const byName = new Map<string, Leaf[]>();
    for (const l of all) {
      const list = byName.get(l.name);
      if (list) list.push(l);
      else byName.set(l.name, [l]);
    }
    for (const [name, list] of byName) {
      // One family has one type and one label set: the first leaf's decides, the others follow.
      const labelNames = [...new Set(list.flatMap((l) => Object.keys(l.labels)))];
      const help = `pseudonet counter ${name.replace(/^pseudonet_/, '').replace(/_total$/, '').replace(/_/g, ' ')} per box`;
      const seen = new Set<string>();
      if (list[0]!.gauge) {
        const g = new Gauge({ name, help, labelNames, registers: [reg] });
        for (const l of list) if (!dup(seen, l.labels)) g.set(l.labels, l.value);
      } else {
        const c = new Counter({ name, help, labelNames, registers: [reg] });
        for (const l of list) if (!dup(seen, l.labels) && l.value >= 0) c.inc(l.labels, l.value);
      }
    }
    const sessions = new Gauge({ name: 'pseudonet_sessions', help: 'Subscriber sessions by box and state', labelNames: ['box', 'state'], registers: [reg] });
    for (const s of this.source.sessionsByState()) sessions.set({ box: s.box, state: s.state }, s.value);
    const tunnels = new Gauge({ name: 'pseudonet_tunnels', help: 'L2TP tunnels by box and state', labelNames: ['box', 'state'], registers: [reg] });
    for (const s of this.source.tunnelsByState()) tunnels.set({ box: s.box, state: s.state }, s.value);
    if (this.source.links) {
      const frames = new Counter({ name: 'pseudonet_link_frames_total', help: 'Frames per in-memory link by what became of them (sent, delivered, lost, duplicated, corrupted, over MTU)', labelNames: ['link', 'outcome'], registers: [reg] });
      for (const l of this.source.links()) for (const [outcome, v] of Object.entries(l.counters)) frames.inc({ link: l.link, outcome }, v);
    }
    return Registry.merge([reg, this.fixed]);
  }

  metrics(): Promise<string> {
    return this.registry().metrics();
  }
}

function dup(seen: Set<string>, labels: Record<string, string>): boolean {
  const k = JSON.stringify(labels);
  if (seen.has(k)) return true;
  seen.add(k);
  return false;
}

/** Rows of a sessions/tunnels view counted by their `state`, as gauge samples of one box. */
export function byState(box: string, rows: unknown): { box: string; state: string; value: number }[] {
  const counts = new Map<string, number>();
  if (Array.isArray(rows)) for (const r of rows) {
    const s = String((r as { state?: unknown }).state ?? 'unknown');
    counts.set(s, (counts.get(s) ?? 0) + 1);
  }
  return [...counts].map(([state, value]) => ({ box, state, value }));
}
