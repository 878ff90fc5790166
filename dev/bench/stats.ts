/** The median of a bench's rounds (the lower middle of an even count; 0 for none). */
export const median = (xs: readonly number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? 0;
