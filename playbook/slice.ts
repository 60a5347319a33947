// `--slice K/N`: the K-th of N disjoint shares of an inventory, by the rule AWX uses for the slices of a
// sliced job (its `sliceKofN` inventory subsets): the hosts sorted by name, every N-th from the K-th on.
// N processes on N machines (a Kubernetes Indexed Job, a CI matrix) each run one share; together they
// run every host exactly once.

export interface Slice {
  /** 1-based, as AWX numbers its slices. */
  index: number;
  count: number;
}

/** The names in slice K of N: sorted by name, those whose position is K-1 modulo N. */
export function sliceOf(names: Iterable<string>, slice: Slice): string[] {
  const sorted = [...new Set(names)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return sorted.filter((_, i) => i % slice.count === slice.index - 1);
}
