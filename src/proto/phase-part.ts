/**
 * A phase part: the fields an object needs only in one phase of its life (a PPP machine while
 * it negotiates or closes, a link while it authenticates), held in one record that is made when
 * the first of them is set and let go when every one is blank again. A session spends its
 * life in Opened, where none of them is set: one field there instead of several, in every
 * machine of every session.
 */

/** undefined, 0 and false: a field with nothing in it. */
function blank(v: unknown): boolean {
  return v === undefined || v === 0 || v === false;
}

/**
 * Sets `k` to `v` in `part` (made by `make` if absent and `v` is not blank) and returns the
 * part to keep: undefined once `isEmpty` finds every field blank.
 */
export function putPart<T extends object, K extends keyof T>(part: T | undefined, k: K, v: T[K], make: () => T, isEmpty: (p: T) => boolean): T | undefined {
  if (part === undefined) {
    if (blank(v)) return undefined;
    part = make();
  }
  part[k] = v;
  return blank(v) && isEmpty(part) ? undefined : part;
}
