/**
 * Location -> TOTEE station and KENAK zone: an explicit station wins, then a prefecture (its zone from
 * the KENAK table, our nearest shipped station of that zone), then coordinates (nearest shipped station
 * by great-circle distance), then a bare zone (its reference station).
 */
import type { AssumptionSink, Site } from "../model.ts";
import { type StationId, stationIds, stations } from "../reference/climate.ts";
import { type ClimateZone, prefectures, zoneReferenceStation } from "../reference/zones.ts";
import type { AssessmentInput } from "../schema/input.ts";

const CLIMATE_SOURCE = "TOTEE 20701-3 stations (la-kenak db_kenakv5.sql vivliothiki_climate*)";

export function nearestStation(latitude: number, longitude: number): StationId {
  let best: StationId = "athens";
  let bestKm = Number.POSITIVE_INFINITY;
  for (const id of stationIds) {
    const km = greatCircleKm(latitude, longitude, stations[id].latitude, stations[id].longitude);
    if (km < bestKm) {
      bestKm = km;
      best = id;
    }
  }
  return best;
}

function greatCircleKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const h =
    Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.sqrt(h));
}

export function resolveSite(location: AssessmentInput["location"], note: AssumptionSink): Site {
  let stationId: StationId;
  let zone: ClimateZone;
  if (location.station) {
    stationId = location.station;
    zone = stations[stationId].zone;
  } else if (location.prefecture) {
    const entry: { zone: ClimateZone; station: StationId; note?: string } =
      prefectures[location.prefecture];
    zone = entry.zone;
    stationId = entry.station;
    note?.({
      field: "location.zone",
      value: zone,
      source: entry.note ?? `KENAK prefecture table (district-energy.gr): ${location.prefecture}`,
      estimate: entry.note?.startsWith("ESTIMATE") ?? false,
    });
    note?.({
      field: "location.station",
      value: stationId,
      source: `nearest shipped ${CLIMATE_SOURCE} station in zone ${zone} (gridpulse mapping)`,
      estimate: false,
    });
  } else if (location.latitude !== undefined && location.longitude !== undefined) {
    stationId = nearestStation(location.latitude, location.longitude);
    zone = stations[stationId].zone;
    note?.({
      field: "location.station",
      value: stationId,
      source: `nearest of the shipped ${CLIMATE_SOURCE} stations; the zone is the station's (KENAK assigns zones by prefecture: give the prefecture near zone borders)`,
      estimate: false,
    });
  } else {
    zone = location.zone ?? "B";
    stationId = zoneReferenceStation[zone];
    note?.({
      field: "location.station",
      value: stationId,
      source: `reference station of zone ${zone} (KENAK prefecture table)`,
      estimate: false,
    });
  }
  const station = stations[stationId];
  if (station.irradiationProxy) {
    note?.({
      field: "climate.irradiation",
      value: station.irradiationProxy,
      source: `TOTEE 20701-3 has no irradiation rows for ${station.name}; ${stations[station.irradiationProxy].name} (zone D) used as proxy`,
      estimate: true,
    });
  }
  return { stationId, station, zone };
}
