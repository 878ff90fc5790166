/**
 * A bench's numeric options: each must be a positive integer, else the bench exits with code 2
 * naming the option.
 */
export function positiveIntegers<K extends string>(
  values: Record<K, string | undefined>,
): Record<K, number> {
  const counts = {} as Record<K, number>;
  for (const name of Object.keys(values) as K[]) {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < 1) {
      console.error(`--${name} must be a positive integer (got ${values[name]})`);
      process.exit(2);
    }
    counts[name] = n;
  }
  return counts;
}
