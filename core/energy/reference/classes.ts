/**
 * KENAK energy classes: the upper bound of T = EP / EP_ref per class, lower bound exclusive and upper
 * bound inclusive (A+: T <= 0.33; A: 0.33 < T <= 0.50; ...; H: T > 2.73). TOTEE 20701-1 class scale,
 * la-kenak db_kenakv5.sql @ fa718545 table vivliothiki_energy_categories. Sourced.
 */
export const energyClasses = ["A+", "A", "B+", "B", "C", "D", "E", "Z", "H"] as const;
export type EnergyClass = (typeof energyClasses)[number];

/** Greek letters as printed on the certificate. */
export const energyClassGreek: Readonly<Record<EnergyClass, string>> = {
  "A+": "Α+",
  A: "Α",
  "B+": "Β+",
  B: "Β",
  C: "Γ",
  D: "Δ",
  E: "Ε",
  Z: "Ζ",
  H: "Η",
};

export const classUpperBounds: readonly { label: EnergyClass; maxRatio: number }[] = [
  { label: "A+", maxRatio: 0.33 },
  { label: "A", maxRatio: 0.5 },
  { label: "B+", maxRatio: 0.75 },
  { label: "B", maxRatio: 1.0 },
  { label: "C", maxRatio: 1.41 },
  { label: "D", maxRatio: 1.82 },
  { label: "E", maxRatio: 2.27 },
  { label: "Z", maxRatio: 2.73 },
  { label: "H", maxRatio: Number.POSITIVE_INFINITY },
];
