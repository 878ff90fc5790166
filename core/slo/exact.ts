/**
 * Exact fractions for SLO arithmetic. An objective of 0.999 means 999/1000 as written, not the binary
 * fraction nearest it: budgets, burn rates and tier factors are computed and compared on the decimals
 * numbers are written as (their shortest round-trip form, as JSON and YAML carry them), and only the
 * reported figures are rounded to numbers, once. So an exactly spent budget is 0, a burn rate of
 * exactly the budget is 1 and a burn rate of exactly a tier's factor is that factor.
 */

/** num / den, den > 0 (not necessarily in lowest terms: `reduce` when it matters). */
export interface Ratio {
  readonly num: bigint;
  readonly den: bigint;
}

const abs = (x: bigint) => (x < 0n ? -x : x);
function gcd(a: bigint, b: bigint): bigint {
  let [x, y] = [abs(a), abs(b)];
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

export function ratio(num: bigint, den: bigint): Ratio {
  if (den === 0n) throw new RangeError("division by zero");
  return den < 0n ? { num: -num, den: -den } : { num, den };
}

/** The same fraction in lowest terms. */
export function reduce(r: Ratio): Ratio {
  const g = gcd(r.num, r.den);
  return g > 1n ? { num: r.num / g, den: r.den / g } : r;
}

/** Decimals already read (objectives and tier shares recur on every evaluation). */
const decimals = new Map<number, Ratio>();

/** The decimal a finite number is written as (`0.999`, `1e-7`), as an exact fraction in lowest terms. */
export function decimal(x: number): Ratio {
  const known = decimals.get(x);
  if (known) return known;
  if (!Number.isFinite(x)) throw new RangeError(`not a finite number: ${x}`);
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(x));
  if (!match) throw new RangeError(`not a decimal: ${x}`);
  const [, sign, whole, fraction = "", exponent = "0"] = match;
  const digits = BigInt(`${sign}${whole}${fraction}`);
  const scale = fraction.length - Number(exponent);
  const value = reduce(
    scale >= 0 ? ratio(digits, 10n ** BigInt(scale)) : ratio(digits * 10n ** BigInt(-scale), 1n),
  );
  if (decimals.size >= 1024) decimals.clear();
  decimals.set(x, value);
  return value;
}

/** An integer count (events, milliseconds) as a fraction; counts that are not integers keep their decimal. */
export const count = (x: number): Ratio =>
  Number.isSafeInteger(x) ? { num: BigInt(x), den: 1n } : decimal(x);

export const times = (a: Ratio, b: Ratio): Ratio => ratio(a.num * b.num, a.den * b.den);
export const over = (a: Ratio, b: Ratio): Ratio => ratio(a.num * b.den, a.den * b.num);
export const minus = (a: Ratio, b: Ratio): Ratio =>
  ratio(a.num * b.den - b.num * a.den, a.den * b.den);
export const one: Ratio = { num: 1n, den: 1n };

/** -1, 0 or 1 as a is below, equal to or above b. */
export function compare(a: Ratio, b: Ratio): -1 | 0 | 1 {
  const d = a.num * b.den - b.num * a.den;
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

const safe = BigInt(Number.MAX_SAFE_INTEGER);
const bits = (x: bigint) => x.toString(2).length;

/** The number nearest the fraction (one rounding when both parts fit in 53 bits, as they do when it is exact). */
export function toNumber(fraction: Ratio): number {
  let r = fraction;
  if (abs(r.num) > safe || r.den > safe) r = reduce(r);
  const negative = r.num < 0n;
  const n = abs(r.num);
  if (n <= safe && r.den <= safe) return (negative ? -1 : 1) * (Number(n) / Number(r.den));
  // A quotient with 64 significant bits, then one rounding to 53.
  const shift = 64 - (bits(n) - bits(r.den));
  const q = shift >= 0 ? (n << BigInt(shift)) / r.den : n / (r.den << BigInt(-shift));
  return (negative ? -1 : 1) * Number(q) * 2 ** -shift;
}
