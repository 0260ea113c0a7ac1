/** 60,000 homes behind one tunnel; the LNS restarts; how long until every home is back (bench/restart.ts). */
import type { BenchEntry } from './bench.js';
import { restartRun } from './restart.js';

export default [
  {
    name: 'network LNS restart 60k homes one tunnel',
    measure: () => {
      const r = restartRun(60_000);
      if (r.onlineAfter !== 60_000 || r.startsAfter < 60_000 || r.duplicateStarts) throw new Error(`${r.onlineAfter}/60000 back, ${r.startsAfter} Accounting-Starts, ${r.duplicateStarts} for a session already started`);
      return { 'homes back': r.onlineAfter, 'Accounting-Starts after the restart (one per session; more sessions than homes when a setup failed and redialled)': r.startsAfter, 'virtual s until the last is back': r.backAfterSeconds, 'redials': r.redials, 'wall s (both setups)': r.wallSeconds };
    },
  },
] satisfies BenchEntry[];
