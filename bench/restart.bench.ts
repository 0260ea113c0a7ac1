/** 60,000 homes behind one tunnel; the LNS restarts; how long until every home is back (bench/restart.ts). */
import type { BenchEntry } from './bench.js';
import { restartRun } from './restart.js';

export default [
  {
    name: 'network LNS restart 60k homes one tunnel',
    measure: () => {
      const r = restartRun(60_000);
      if (r.onlineAfter !== 60_000 || r.startsAfter !== 60_000) throw new Error(`${r.onlineAfter}/60000 back, ${r.startsAfter} Accounting-Starts`);
      return { 'homes back': r.onlineAfter, 'virtual s until the last is back': r.backAfterSeconds, 'redials': r.redials, 'wall s (both setups)': r.wallSeconds };
    },
  },
] satisfies BenchEntry[];
