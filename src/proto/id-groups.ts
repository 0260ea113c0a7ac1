/**
 * Small groups of ids by key (the routes of each interface): a group of one is the id itself
 * in the map, a group of two one number holding both, a Set only from three on. Subscriber
 * interfaces carry one route (IPv4) or two (IPv6: the /64 and the delegated prefix), and a
 * Set costs about 120 bytes, a number at most a 16-byte box.
 */
export type IdGroups = Map<number, number | Set<number>>;

/** Ids below this pack two to a number (an exact double: 2 × 26 bits). */
const PAIR = 2 ** 26;

/** A pair is a negative number: -1 - (a·2^26 + b). */
function pair(a: number, b: number): number {
  return -1 - (a * PAIR + b);
}

function first(p: number): number {
  return Math.floor((-1 - p) / PAIR);
}

function second(p: number): number {
  return (-1 - p) % PAIR;
}

export function groupAdd(g: IdGroups, key: number, id: number): void {
  const cur = g.get(key);
  if (cur === undefined) g.set(key, id);
  else if (typeof cur === 'number') {
    if (cur >= 0) {
      if (cur === id) return;
      g.set(key, cur < PAIR && id < PAIR ? pair(cur, id) : new Set([cur, id]));
    } else {
      const a = first(cur), b = second(cur);
      if (id !== a && id !== b) g.set(key, new Set([a, b, id]));
    }
  } else cur.add(id);
}

export function groupDelete(g: IdGroups, key: number, id: number): void {
  const cur = g.get(key);
  if (cur === undefined) return;
  if (typeof cur === 'number') {
    if (cur >= 0) {
      if (cur === id) g.delete(key);
      return;
    }
    const a = first(cur), b = second(cur);
    if (id === a) g.set(key, b);
    else if (id === b) g.set(key, a);
    return;
  }
  cur.delete(id);
  if (cur.size === 0) g.delete(key);
}

/** The ids of `key`'s group (a copy: the group may change while they are used). */
export function groupIds(g: IdGroups, key: number): number[] | undefined {
  const cur = g.get(key);
  if (cur === undefined) return undefined;
  if (typeof cur === 'number') return cur >= 0 ? [cur] : [first(cur), second(cur)];
  return [...cur];
}
