/**
 * Mulberry32: a small, fast seeded source of uniform [0, 1) numbers for what must be
 * reproducible by seed — a link's impairment decisions, a home's redial jitter. Never for
 * anything a peer must not guess (challenges, cookies, ids come from node:crypto).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
