/** The median of a bench's rounds (the lower middle of an even count; 0 for none). */
export const median = (xs: readonly number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? 0;

/** The `q` quantile of values sorted ascending: the value at rank floor(q·n) (0 for none). */
export const quantileOfSorted = (sorted: ArrayLike<number>, q: number): number =>
  sorted.length === 0
    ? 0
    : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number);
