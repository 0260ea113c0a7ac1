/**
 * Small groups of ids by key (the routes of each interface): a group of one is the id itself
 * in the map, a Set only from two on. Most subscriber interfaces carry one or two routes, and
 * a Set costs about 120 bytes, a number nothing.
 */
export type IdGroups = Map<number, number | Set<number>>;

export function groupAdd(g: IdGroups, key: number, id: number): void {
  const cur = g.get(key);
  if (cur === undefined) g.set(key, id);
  else if (typeof cur === 'number') {
    if (cur !== id) g.set(key, new Set([cur, id]));
  } else cur.add(id);
}

export function groupDelete(g: IdGroups, key: number, id: number): void {
  const cur = g.get(key);
  if (cur === undefined) return;
  if (typeof cur === 'number') {
    if (cur === id) g.delete(key);
    return;
  }
  cur.delete(id);
  if (cur.size === 0) g.delete(key);
}

/** The ids of `key`'s group (a copy: the group may change while they are used). */
export function groupIds(g: IdGroups, key: number): number[] | undefined {
  const cur = g.get(key);
  if (cur === undefined) return undefined;
  return typeof cur === 'number' ? [cur] : [...cur];
}
