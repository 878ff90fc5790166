/**
 * Climate of the TOTEE 20701-3 stations the engine ships: monthly mean air temperature and monthly
 * solar irradiation on vertical and tilted planes by orientation, plus mains-water temperature by zone.
 *
 * Source: TOTEE 20701-3/2010 "Κλιματικά δεδομένα ελληνικών περιοχών" — Table 3.1 (mean 24 h air
 * temperature), Table 4.1 and the irradiation-by-azimuth tables (kWh/m² per month, vertical and 45°
 * planes), Table 6.2 (mains water temperature) — as transcribed in github.com/epatso/la-kenak
 * (install/db_kenakv5.sql @ fa718545, tables vivliothiki_climate31, _climate41, _climate_b, _climate62).
 * Status: sourced. Kozani and Florina have no irradiation rows in TOTEE 20701-3: they use Kastoria's
 * (zone D, 661 m) as a proxy, flagged per station (`irradiationProxy`).
 */
import type { ClimateZone } from "./zones.ts";

export type Monthly = readonly [
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
];

/** Irradiation planes: vertical façades by orientation class, horizontal, and 45° tilted planes. */
export interface StationIrradiation {
  horizontal: Monthly;
  N: Monthly;
  NE_NW: Monthly;
  E_W: Monthly;
  SE_SW: Monthly;
  S: Monthly;
  tilt45S: Monthly;
  tilt45SE_SW: Monthly;
  tilt45E_W: Monthly;
}

export interface Station {
  name: string;
  nameGr: string;
  zone: ClimateZone;
  latitude: number;
  longitude: number;
  altitudeM: number;
  meanAirTempC: Monthly;
  /** Station whose irradiation rows are used when TOTEE 20701-3 has none for this one. */
  irradiationProxy: StationId | null;
  irradiationKwhM2: StationIrradiation;
}

const kastoriaIrradiation: StationIrradiation = {
  horizontal: [58, 71, 111, 141, 174, 202, 206, 186, 139, 97, 60, 48],
  N: [17, 22, 35, 48, 64, 75, 74, 61, 41, 28, 18, 14],
  NE_NW: [19, 25, 45, 64, 82, 96, 97, 84, 56, 33, 20, 16],
  E_W: [42, 45, 69, 84, 99, 112, 116, 110, 83, 60, 42, 36],
  SE_SW: [75, 70, 87, 90, 96, 104, 109, 112, 101, 89, 74, 68],
  S: [96, 85, 95, 86, 84, 86, 92, 100, 105, 106, 93, 88],
  tilt45S: [101, 101, 131, 140, 155, 172, 179, 177, 154, 131, 101, 90],
  tilt45SE_SW: [86, 89, 121, 137, 156, 175, 182, 176, 145, 116, 86, 75],
  tilt45E_W: [55, 64, 98, 123, 150, 172, 177, 162, 121, 85, 56, 46],
};

export const stationIds = [
  "heraklion",
  "athens",
  "patras",
  "thessaloniki",
  "larisa",
  "ioannina",
  "kozani",
  "florina",
  "kastoria",
] as const;
export type StationId = (typeof stationIds)[number];

export const stations: Readonly<Record<StationId, Station>> = {
  heraklion: {
    name: "Heraklion",
    nameGr: "Ηράκλειο",
    zone: "A",
    latitude: 35.3333,
    longitude: 25.1833,
    altitudeM: 39.3,
    meanAirTempC: [12.1, 12.2, 13.5, 16.5, 20.3, 24.4, 26.2, 26.1, 23.6, 20.1, 16.7, 13.7],
    irradiationProxy: null,
    irradiationKwhM2: {
      horizontal: [66, 82, 125, 167, 207, 222, 227, 207, 163, 117, 79, 61],
      N: [20, 25, 39, 51, 72, 80, 80, 65, 45, 33, 23, 18],
      NE_NW: [23, 29, 50, 69, 98, 106, 108, 94, 64, 43, 26, 20],
      E_W: [43, 49, 75, 93, 117, 123, 127, 121, 96, 75, 51, 42],
      SE_SW: [71, 71, 91, 98, 108, 107, 113, 118, 111, 103, 85, 73],
      S: [89, 84, 96, 91, 87, 82, 88, 99, 111, 118, 106, 93],
      tilt45S: [101, 106, 140, 160, 178, 181, 189, 189, 175, 152, 121, 101],
      tilt45SE_SW: [87, 95, 131, 156, 182, 188, 195, 191, 166, 138, 105, 86],
      tilt45E_W: [59, 71, 109, 141, 178, 190, 194, 180, 141, 105, 71, 56],
    },
  },
  athens: {
    name: "Athens (Ellinikon)",
    nameGr: "Αθήνα (Ελληνικό)",
    zone: "B",
    latitude: 37.9,
    longitude: 23.75,
    altitudeM: 15.0,
    meanAirTempC: [10.3, 10.6, 12.3, 16, 20.7, 25.4, 28.1, 28, 24.3, 19.6, 15.4, 12],
    irradiationProxy: null,
    irradiationKwhM2: {
      horizontal: [63, 79, 118, 154, 195, 214, 222, 203, 153, 109, 71, 56],
      N: [19, 24, 37, 49, 69, 78, 78, 64, 43, 31, 20, 17],
      NE_NW: [21, 28, 48, 65, 92, 102, 105, 91, 60, 37, 23, 18],
      E_W: [43, 49, 71, 86, 111, 119, 125, 119, 91, 65, 48, 40],
      SE_SW: [75, 73, 89, 93, 105, 107, 114, 119, 108, 95, 82, 73],
      S: [95, 88, 95, 89, 88, 85, 92, 103, 110, 113, 103, 94],
      tilt45S: [104, 108, 135, 151, 171, 178, 189, 190, 167, 144, 114, 98],
      tilt45SE_SW: [89, 95, 126, 146, 174, 183, 194, 190, 158, 128, 98, 83],
      tilt45E_W: [58, 69, 103, 131, 168, 182, 191, 177, 133, 94, 65, 53],
    },
  },
  patras: {
    name: "Patras",
    nameGr: "Πάτρα",
    zone: "B",
    latitude: 38.25,
    longitude: 21.7333,
    altitudeM: 1.0,
    meanAirTempC: [10, 10.6, 12.5, 15.6, 20.1, 24.1, 26.4, 26.7, 23.5, 19, 14.5, 11.4],
    irradiationProxy: null,
    irradiationKwhM2: {
      horizontal: [55, 72, 124, 147, 200, 215, 218, 197, 153, 107, 66, 53],
      N: [18, 23, 38, 50, 70, 78, 77, 63, 43, 30, 20, 16],
      NE_NW: [19, 26, 49, 66, 94, 102, 103, 89, 61, 36, 22, 18],
      E_W: [37, 44, 76, 87, 114, 119, 122, 116, 91, 64, 45, 38],
      SE_SW: [64, 66, 95, 92, 108, 107, 112, 116, 109, 94, 75, 69],
      S: [80, 79, 102, 85, 90, 86, 91, 101, 111, 112, 95, 88],
      tilt45S: [88, 97, 144, 143, 176, 179, 186, 185, 168, 141, 105, 93],
      tilt45SE_SW: [76, 86, 134, 141, 178, 184, 190, 184, 159, 125, 91, 79],
      tilt45E_W: [51, 63, 109, 128, 172, 183, 187, 172, 133, 93, 61, 50],
    },
  },
  thessaloniki: {
    name: "Thessaloniki",
    nameGr: "Θεσσαλονίκη",
    zone: "C",
    latitude: 40.5167,
    longitude: 22.9667,
    altitudeM: 4.8,
    meanAirTempC: [5.3, 6.8, 9.8, 14.3, 19.7, 24.5, 26.8, 26.2, 21.9, 16.3, 11.1, 6.9],
    irradiationProxy: null,
    irradiationKwhM2: {
      horizontal: [53, 68, 103, 141, 179, 199, 209, 185, 137, 91, 57, 45],
      N: [16, 21, 34, 48, 66, 74, 75, 61, 40, 27, 17, 14],
      NE_NW: [18, 24, 42, 64, 84, 95, 98, 84, 55, 32, 19, 15],
      E_W: [38, 43, 63, 84, 102, 111, 118, 109, 82, 56, 40, 34],
      SE_SW: [67, 65, 80, 90, 99, 103, 111, 112, 100, 83, 69, 64],
      S: [85, 79, 87, 86, 86, 85, 93, 100, 103, 99, 87, 83],
      tilt45S: [91, 95, 120, 140, 160, 169, 182, 176, 152, 123, 94, 85],
      tilt45SE_SW: [77, 83, 112, 137, 161, 173, 185, 175, 143, 109, 80, 71],
      tilt45E_W: [50, 60, 91, 123, 154, 170, 180, 161, 119, 80, 53, 44],
    },
  },
  larisa: {
    name: "Larisa",
    nameGr: "Λάρισα",
    zone: "C",
    latitude: 39.65,
    longitude: 22.45,
    altitudeM: 73.6,
    meanAirTempC: [5.2, 6.8, 9.5, 14, 19.7, 25.2, 27.3, 26.3, 21.9, 16.3, 10.9, 6.5],
    irradiationProxy: null,
    irradiationKwhM2: {
      horizontal: [55, 71, 112, 151, 191, 211, 216, 194, 146, 98, 61, 48],
      N: [17, 22, 36, 50, 68, 77, 76, 62, 42, 29, 18, 15],
      NE_NW: [19, 26, 45, 68, 90, 100, 101, 88, 58, 34, 21, 16],
      E_W: [39, 45, 69, 90, 109, 117, 122, 115, 88, 60, 42, 35],
      SE_SW: [68, 68, 87, 96, 104, 107, 113, 116, 105, 87, 73, 65],
      S: [86, 82, 94, 90, 89, 87, 93, 103, 109, 104, 92, 84],
      tilt45S: [93, 99, 130, 150, 170, 178, 186, 184, 162, 130, 100, 87],
      tilt45SE_SW: [79, 87, 121, 147, 171, 182, 190, 183, 153, 116, 86, 73],
      tilt45E_W: [52, 63, 99, 132, 165, 180, 185, 170, 127, 85, 57, 46],
    },
  },
  ioannina: {
    name: "Ioannina",
    nameGr: "Ιωάννινα",
    zone: "C",
    latitude: 39.7,
    longitude: 20.8167,
    altitudeM: 484.0,
    meanAirTempC: [4.7, 6, 8.8, 12.4, 17.5, 22, 24.9, 24.5, 20.1, 15, 9.7, 5.8],
    irradiationProxy: null,
    irradiationKwhM2: {
      horizontal: [52, 66, 105, 135, 178, 202, 212, 190, 137, 96, 58, 45],
      N: [16, 21, 35, 47, 66, 75, 76, 62, 41, 28, 18, 14],
      NE_NW: [18, 24, 43, 61, 84, 96, 100, 86, 55, 33, 20, 15],
      E_W: [36, 41, 64, 80, 101, 112, 119, 113, 82, 58, 40, 33],
      SE_SW: [63, 62, 80, 85, 98, 103, 111, 114, 98, 86, 68, 60],
      S: [80, 75, 87, 81, 85, 85, 92, 101, 101, 103, 85, 78],
      tilt45S: [86, 91, 121, 133, 159, 171, 183, 181, 151, 128, 93, 81],
      tilt45SE_SW: [74, 80, 113, 130, 160, 175, 186, 180, 142, 114, 80, 68],
      tilt45E_W: [48, 59, 92, 117, 154, 172, 182, 166, 119, 84, 53, 43],
    },
  },
  kozani: {
    name: "Kozani",
    nameGr: "Κοζάνη",
    zone: "D",
    latitude: 40.3,
    longitude: 21.7833,
    altitudeM: 625.0,
    meanAirTempC: [2.3, 3.7, 6.9, 11.6, 16.8, 21.5, 24.1, 23.6, 19.3, 13.5, 8, 3.9],
    irradiationProxy: "kastoria",
    irradiationKwhM2: kastoriaIrradiation,
  },
  florina: {
    name: "Florina",
    nameGr: "Φλώρινα",
    zone: "D",
    latitude: 40.8,
    longitude: 21.4333,
    altitudeM: 617.0,
    meanAirTempC: [0.5, 2.7, 6.7, 11.6, 16.8, 21, 23.1, 22.5, 18.4, 12.6, 7, 2.2],
    irradiationProxy: "kastoria",
    irradiationKwhM2: kastoriaIrradiation,
  },
  kastoria: {
    name: "Kastoria",
    nameGr: "Καστοριά",
    zone: "D",
    latitude: 40.45,
    longitude: 21.2833,
    altitudeM: 660.9,
    meanAirTempC: [2.2, 3.4, 6.9, 11.5, 16.4, 21.4, 24, 23.2, 18.9, 13.4, 7.2, 3],
    irradiationProxy: null,
    irradiationKwhM2: kastoriaIrradiation,
  },
};

/** Mains (cold) water temperature by zone, °C — TOTEE 20701-3 Table 6.2 (la-kenak vivliothiki_climate62). */
export const mainsWaterTempC: Readonly<Record<ClimateZone, Monthly>> = {
  A: [13, 12.8, 13.8, 16.3, 19.9, 23.8, 26.2, 26.6, 24.9, 21.7, 18.1, 14.8],
  B: [10.4, 10.1, 11.7, 14.8, 18.9, 23.1, 25.6, 25.8, 23.5, 19.7, 15.5, 12.2],
  C: [6.5, 7.3, 9.4, 13.2, 17.6, 21.9, 24.3, 24.6, 22, 17.7, 12.7, 8.6],
  D: [4.2, 5, 7.5, 11.5, 15.7, 19.8, 22.2, 22.7, 20.2, 15.9, 10.8, 6.6],
};

/** Days per month of a non-leap year (the monthly method works on calendar months). */
export const daysInMonth: Monthly = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
