/** Runs one entry of bench/network.bench.ts by name (for profiling): node --import tsx bench/one.ts NAME */
import bench from './network.bench.js';
const only = process.argv[2] ?? 'network relay';
void (async () => {
  for (const b of bench) if (b.name === only) console.log(b.name, await (b as { measure: () => unknown }).measure());
})();
