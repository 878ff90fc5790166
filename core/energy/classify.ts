/** KENAK class from T = EP / EP_ref (upper bounds inclusive). */
import { classUpperBounds, type EnergyClass, energyClasses } from "./reference/classes.ts";

/**
 * Throws RangeError for a ratio that is not a finite number: NaN compares false with every bound and
 * would fall through to H. assess() refuses the inputs that lead there (validity.ts).
 */
export function energyClass(ratio: number): EnergyClass {
  if (!Number.isFinite(ratio)) throw new RangeError(`no energy class for T = ${ratio}`);
  for (const c of classUpperBounds) {
    if (ratio <= c.maxRatio) return c.label;
  }
  return "H";
}

/** Number of classes between two labels (positive when `after` is better). */
export function classJump(before: EnergyClass, after: EnergyClass): number {
  return energyClasses.indexOf(before) - energyClasses.indexOf(after);
}
