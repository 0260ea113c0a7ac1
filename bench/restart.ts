/**
 * The LNS restart run: N homes behind one ISP (one tunnel), all online; the LNS box stops and
 * starts again empty; the run waits until every home is back. Used by the restart benchmark
 * (60,000 homes) and test/e2e/lns-restart.test.ts (a few thousand).
 */
import { dialer } from './bring-up.js';
import { Network } from '../src/sim/network.js';
import { loadTopology } from '../src/config/topology.js';
import { withHomes } from '../src/config/generate.js';
import { VirtualClock } from '../src/sim/clock.js';

export interface RestartResult {
  onlineBefore: number;
  onlineAfter: number;
  tunnelsAfter: number;
  redials: number;
  startsAfter: number;
  /** Accounting-Starts whose Acct-Session-Id was already started (must be 0). */
  duplicateStarts: number;
  /** Virtual seconds from the restart until the last home was back. */
  backAfterSeconds: number;
  wallSeconds: number;
}

export function restartRun(n: number, window = 10_000): RestartResult {
  const base = loadTopology('topologies/default.yaml');
  const oneIsp = { ...base, isps: [base.isps[0]!], homes: [] };
  const t = withHomes(oneIsp, n);
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const net = new Network(t, { clock });
  const online = new Set<string>();
  let redials = 0;
  let starts = 0;
  let duplicateStarts = 0;
  const started = new Set<string>();
  const dial = dialer(net, window);
  net.onEvent((e) => {
    if (e.kind === 'home' && e.event.type === 'online') {
      online.add(e.box);
      dial.next();
    } else if (e.kind === 'home' && e.event.type === 'offline') online.delete(e.box);
    else if (e.kind === 'home' && e.event.type === 'redial') redials++;
    else if (e.kind === 'radius' && e.event.type === 'accounting' && e.event.line.statusType === 'Start') {
      starts++;
      const id = e.event.line.sessionId ?? '';
      if (started.has(id)) duplicateStarts++;
      started.add(id);
    }
  });
  const w0 = performance.now();
  dial.begin();
  clock.runUntilTrue(() => online.size === n, clock.now() + 900_000);
  const onlineBefore = online.size;
  redials = 0;
  starts = 0;
  const lns = t.isps[0]!.lns.name;
  net.stopBox(lns);
  clock.runUntil(clock.now() + 5_000);
  const restartAt = clock.now();
  net.startBox(lns);
  const back = clock.runUntilTrue(() => online.size === n && starts >= n, clock.now() + 1_800_000);
  const backAfterSeconds = (clock.now() - restartAt) / 1000;
  return {
    onlineBefore,
    onlineAfter: back ? online.size : online.size,
    tunnelsAfter: net.isps[0]!.nte.l2tp.tunnelInfo().filter((x) => x.state === 'established').length,
    redials,
    startsAfter: starts,
    duplicateStarts,
    backAfterSeconds,
    wallSeconds: (performance.now() - w0) / 1000,
  };
}
