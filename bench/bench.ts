/** A benchmark case: `fn` is called repeatedly; `ops` says how many operations one call is. */
export interface Bench {
  readonly name: string;
  readonly fn: () => void;
  readonly ops?: number;
  /** Unit of the figure when it is not ops/s (e.g. 'sessions/s'). */
  readonly unit?: string;
}

/** A benchmark that measures itself (e.g. builds 1M routes once) and reports figures directly. */
export interface Measured {
  readonly name: string;
  readonly measure: () => Promise<Record<string, number>> | Record<string, number>;
}

export type BenchEntry = Bench | Measured;
