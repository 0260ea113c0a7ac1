/**
 * One read-only copy of byte values that many sessions hold alike (a server's DUID, DNS
 * server addresses): `sharedBytes(b)` gives the same Uint8Array for equal contents, so each
 * session holds a reference instead of a 96-byte view of its own. Holders never write to
 * what they get. At most SHARED_MAX values are held; when full the table starts again (values
 * already handed out stay valid, they are just no longer shared with later ones).
 * `sharedNumbers(list)` does the same for short lists of numbers (the DNS servers IPCP gave:
 * every session of an ISP holds the same two), frozen.
 */
import { keptBytes } from '../wire/bytes.js';

const SHARED_MAX = 1024;
/** Longer values are copied, not shared (the key would cost as much as the copy). */
const SHARED_LONGEST = 32;
const table = new Map<string, Uint8Array>();

export function sharedBytes(b: Uint8Array): Uint8Array {
  if (b.length > SHARED_LONGEST) return keptBytes(b);
  let key = String.fromCharCode(b.length);
  for (let i = 0; i < b.length; i++) key += String.fromCharCode(b[i]!);
  const seen = table.get(key);
  if (seen !== undefined) return seen;
  if (table.size >= SHARED_MAX) table.clear();
  const kept = keptBytes(b);
  table.set(key, kept);
  return kept;
}

const lists = new Map<string, readonly number[]>();

export function sharedNumbers(list: readonly number[]): readonly number[] {
  if (list.length > SHARED_LONGEST) return Object.freeze(list.slice());
  const key = list.join(',');
  const seen = lists.get(key);
  if (seen !== undefined) return seen;
  if (lists.size >= SHARED_MAX) lists.clear();
  const kept = Object.freeze(list.slice());
  lists.set(key, kept);
  return kept;
}
