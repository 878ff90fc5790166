/**
 * KENAK climate zones: which months count as residential heating and cooling months, which prefecture
 * lies in which zone, and which shipped TOTEE 20701-3 station stands for a prefecture or a zone.
 */
import type { StationId } from "./climate.ts";

export const climateZones = ["A", "B", "C", "D"] as const;
export type ClimateZone = (typeof climateZones)[number];

/** Index of the zone in KENAK tables ordered A, B, C, D. */
export const zoneIndex: Readonly<Record<ClimateZone, 0 | 1 | 2 | 3>> = { A: 0, B: 1, C: 2, D: 3 };

/**
 * Residential heating and cooling months (1 = January). TOTEE 20701-1 as transcribed in la-kenak
 * (db_kenakv5.sql @ fa718545, tables vivliothiki_monthsoff_heat_a/_c and _cold_a/_c). Sourced.
 * Checked for partial months: the table holds one 0/1 flag per month for every use (zones A/B share
 * table _a, C/D table _c), so no residential period starts or ends mid-month and every month counts
 * whole. (The TOTEE text itself could not be retrieved to confirm beyond the transcription.)
 */
export const heatingMonths: Readonly<Record<ClimateZone, readonly number[]>> = {
  A: [1, 2, 3, 4, 11, 12],
  B: [1, 2, 3, 4, 11, 12],
  C: [1, 2, 3, 4, 10, 11, 12],
  D: [1, 2, 3, 4, 10, 11, 12],
};
export const coolingMonths: Readonly<Record<ClimateZone, readonly number[]>> = {
  A: [5, 6, 7, 8, 9],
  B: [5, 6, 7, 8, 9],
  C: [6, 7, 8, 9],
  D: [6, 7, 8, 9],
};

/**
 * The station used when only a zone is given: the zone's reference station of the KENAK prefecture
 * table (district-energy.gr KENAK table; la-kenak vivliothiki_climate_places). Zone D uses Kozani.
 */
export const zoneReferenceStation: Readonly<Record<ClimateZone, StationId>> = {
  A: "heraklion",
  B: "athens",
  C: "thessaloniki",
  D: "kozani",
};

interface PrefectureEntry {
  zone: ClimateZone;
  station: StationId;
  /** Set where the zone assignment itself is not confirmed by the shipped sources. */
  note?: string;
}

/**
 * Prefecture -> KENAK zone. Zones A and B are the full lists of the KENAK prefecture table
 * (district-energy.gr, "climate zones Greece"); C and D are the members the shared reference data could
 * confirm (truncated source, completed from the la-kenak station table; Pieria and Kilkis complete zone C
 * from the KENAK prefecture table, TOTEE 20701-1:2017). The station is our mapping to
 * the nearest shipped TOTEE 20701-3 station of the same zone (a choice, not a KENAK rule).
 */
export const prefectures = {
  Heraklion: { zone: "A", station: "heraklion" },
  Chania: { zone: "A", station: "heraklion" },
  Rethymno: { zone: "A", station: "heraklion" },
  Lasithi: { zone: "A", station: "heraklion" },
  Cyclades: { zone: "A", station: "heraklion" },
  Dodecanese: { zone: "A", station: "heraklion" },
  Samos: { zone: "A", station: "heraklion" },
  Messinia: { zone: "A", station: "heraklion" },
  Laconia: { zone: "A", station: "heraklion" },
  Argolida: { zone: "A", station: "heraklion" },
  Zakynthos: { zone: "A", station: "heraklion" },
  "Kefalonia & Ithaca": { zone: "A", station: "heraklion" },
  "Kythira & Saronic islands": { zone: "A", station: "heraklion" },
  "Arkadia (lowland)": { zone: "A", station: "heraklion" },
  Attica: { zone: "B", station: "athens" },
  Corinthia: { zone: "B", station: "athens" },
  Ilia: { zone: "B", station: "patras" },
  Achaia: { zone: "B", station: "patras" },
  Aitoloakarnania: { zone: "B", station: "patras" },
  Fthiotida: { zone: "B", station: "athens" },
  Fokida: { zone: "B", station: "athens" },
  Viotia: { zone: "B", station: "athens" },
  Evia: { zone: "B", station: "athens" },
  Magnesia: { zone: "B", station: "athens" },
  Lesvos: { zone: "B", station: "athens" },
  Chios: { zone: "B", station: "athens" },
  Kerkyra: { zone: "B", station: "patras" },
  Lefkada: { zone: "B", station: "patras" },
  Thesprotia: { zone: "B", station: "patras" },
  Preveza: { zone: "B", station: "patras" },
  Arta: { zone: "B", station: "patras" },
  "Arkadia (mountain)": { zone: "C", station: "ioannina" },
  Evrytania: { zone: "C", station: "ioannina" },
  Ioannina: { zone: "C", station: "ioannina" },
  Larisa: { zone: "C", station: "larisa" },
  Karditsa: { zone: "C", station: "larisa" },
  Trikala: { zone: "C", station: "larisa" },
  Thessaloniki: { zone: "C", station: "thessaloniki" },
  Pella: { zone: "C", station: "thessaloniki" },
  Imathia: { zone: "C", station: "thessaloniki" },
  Xanthi: { zone: "C", station: "thessaloniki" },
  Rodopi: { zone: "C", station: "thessaloniki" },
  Evros: { zone: "C", station: "thessaloniki" },
  Kavala: { zone: "C", station: "thessaloniki" },
  Chalkidiki: { zone: "C", station: "thessaloniki" },
  Pieria: {
    zone: "C",
    station: "thessaloniki",
    note: "KENAK prefecture table (TOTEE 20701-1:2017: zone C with Thessaloniki, Imathia, Pella, Chalkidiki, Pieria, Kilkis): Pieria; completes the truncated zone-C list of the shared reference data",
  },
  Kilkis: {
    zone: "C",
    station: "thessaloniki",
    note: "KENAK prefecture table (TOTEE 20701-1:2017: zone C with Thessaloniki, Imathia, Pella, Chalkidiki, Pieria, Kilkis): Kilkis; completes the truncated zone-C list of the shared reference data",
  },
  Kozani: { zone: "D", station: "kozani" },
  Florina: { zone: "D", station: "florina" },
  Kastoria: { zone: "D", station: "kastoria" },
  Grevena: {
    zone: "D",
    station: "kozani",
    note: "ESTIMATE: Grevena's zone D is not in the retrieved KENAK table text",
  },
  Drama: {
    zone: "D",
    station: "kozani",
    note: "zone D per the la-kenak station table; to verify against the KENAK 2017 annex",
  },
  Serres: {
    zone: "D",
    station: "kozani",
    note: "zone D per the la-kenak station table; to verify against the KENAK 2017 annex",
  },
} as const satisfies Record<string, PrefectureEntry>;

export type Prefecture = keyof typeof prefectures;
export const prefectureNames = Object.keys(prefectures) as [Prefecture, ...Prefecture[]];
