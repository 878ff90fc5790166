/** KENAK class from T = EP / EP_ref (upper bounds inclusive). */
import { classUpperBounds, type EnergyClass, energyClasses } from "./reference/classes.ts";

export function energyClass(ratio: number): EnergyClass {
  for (const c of classUpperBounds) {
    if (ratio <= c.maxRatio) return c.label;
  }
  return "H";
}

/** Number of classes between two labels (positive when `after` is better). */
export function classJump(before: EnergyClass, after: EnergyClass): number {
  return energyClasses.indexOf(before) - energyClasses.indexOf(after);
}
