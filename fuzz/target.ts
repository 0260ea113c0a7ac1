/** A decoder under fuzz: its parse function and real seeds to mutate. */
import type { Parsed } from '../src/wire/result.js';

export interface FuzzTarget {
  readonly name: string;
  readonly parse: (b: Uint8Array) => Parsed<unknown>;
  /** Real packets (from ../shared/captures or emitted by our codecs) to mutate. */
  readonly seeds: () => Uint8Array[];
}
