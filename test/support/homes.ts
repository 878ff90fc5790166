/** A home the API assesses in the HTTP suites: a 1995 apartment in Attica with a gas boiler. */
export const atticaApartment = {
  location: { prefecture: "Attica" },
  buildingType: "apartment",
  constructionYear: 1995,
  heatedFloorAreaM2: 85,
  storeys: 1,
  systems: { heating: { type: "gas_boiler" } },
};
