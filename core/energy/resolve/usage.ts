/**
 * Use of the home: TOTEE 20701-1 standard residential conditions (setpoints, operating hours, occupants,
 * internal gains, fresh air, hot water), with the caller's occupancy overrides.
 */
import type { AssumptionSink, Usage } from "../model.ts";
import { conditionsSource, residentialConditions as rc } from "../reference/conditions.ts";
import type { AssessmentInput } from "../schema/input.ts";

export function resolveUsage(input: AssessmentInput, note: AssumptionSink): Usage {
  const area = input.heatedFloorAreaM2;
  const o = input.occupancy;
  const persons = o?.persons ?? (rc.occupantsPer100M2 * area) / 100;
  const litres = o?.dhwLitresPerPersonDay ?? rc.dhwLitresPerPersonDay;
  // Occupant gains with the presence factor, appliances with their usage factor: 5 W/m² at the
  // standard density, taken as a 24 h average (people are home at night, outside the 18 h schedule).
  const internalGainsW =
    o?.internalGainsWPerM2 !== undefined
      ? o.internalGainsWPerM2 * area
      : persons * rc.occupantGainWPerPerson * rc.occupantPresenceFactor +
        area * rc.applianceGainWPerM2 * rc.applianceFactor;
  if (note) {
    if (o?.persons === undefined) {
      note({
        field: "occupancy.persons",
        value: persons,
        source: `${conditionsSource}: 5 persons per 100 m²`,
        estimate: false,
      });
    }
    if (o?.heatingSetpointC === undefined) {
      note({
        field: "occupancy.heatingSetpointC",
        value: rc.setpointHeatingC,
        unit: "°C",
        source: conditionsSource,
        estimate: false,
      });
    }
    if (o?.coolingSetpointC === undefined) {
      note({
        field: "occupancy.coolingSetpointC",
        value: rc.setpointCoolingC,
        unit: "°C",
        source: conditionsSource,
        estimate: false,
      });
    }
    if (o?.dhwLitresPerPersonDay === undefined) {
      note({
        field: "occupancy.dhwLitresPerPersonDay",
        value: litres,
        unit: "l at 45 °C",
        source: conditionsSource,
        estimate: false,
      });
    }
    note({
      field: "usage.operatingHours",
      value: rc.hoursPerDay,
      unit: "h/day",
      source: `${conditionsSource}; intermittent operation per ISO 13790 cl. 13.2.2`,
      estimate: false,
    });
    if (o?.internalGainsWPerM2 === undefined) {
      note({
        field: "occupancy.internalGainsWPerM2",
        value: Math.round((internalGainsW / area) * 100) / 100,
        unit: "W/m²",
        source: `${conditionsSource}: 80 W/person x 0.75 presence + 4 W/m² appliances x 0.5, as a 24 h average`,
        estimate: false,
      });
    }
    note({
      field: "usage.freshAir",
      value: rc.freshAirM3hPerM2,
      unit: "m³/h per m²",
      source: conditionsSource,
      estimate: false,
    });
    if (o) {
      note({
        field: "occupancy",
        value: "overridden",
        source:
          "caller's occupancy applies to the home and its reference building; an official KENAK certificate uses the TOTEE standard conditions",
        estimate: false,
      });
    }
  }
  return {
    setpointHeatingC: o?.heatingSetpointC ?? rc.setpointHeatingC,
    setpointCoolingC: o?.coolingSetpointC ?? rc.setpointCoolingC,
    operatingFraction: rc.hoursPerDay / 24,
    internalGainsW,
    freshAirM3h: rc.freshAirM3hPerM2 * area,
    persons,
    dhwLitresPerDay: persons * litres,
  };
}
