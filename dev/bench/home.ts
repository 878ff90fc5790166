/**
 * The home the benches store: a 1990s apartment in Athens with gas heating, the richest request
 * (engine, package search, the full view's ~29 KB, an insert).
 */
export const athensApartment = {
  location: { prefecture: "Attica" },
  buildingType: "apartment",
  constructionYear: 1994,
  heatedFloorAreaM2: 85,
  storeys: 1,
  apartmentPosition: "middle",
  systems: {
    heating: { type: "gas_boiler" },
    cooling: { type: "split_units" },
    hotWater: { type: "electric" },
  },
} as const;
