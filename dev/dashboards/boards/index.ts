/** Every dashboard gridpulse provisions, by file name. */
import { type DashboardJson, dashboard } from "../grafana.ts";
import { apiDashboard } from "./api.ts";
import { energyDashboard } from "./energy.ts";
import { notificationsDashboard } from "./notifications.ts";
import { sloDashboard } from "./slos.ts";
import { streamDashboard } from "./stream.ts";

export function allDashboards(): Record<string, DashboardJson> {
  return {
    "api.json": dashboard(apiDashboard),
    "stream.json": dashboard(streamDashboard),
    "slos.json": dashboard(sloDashboard),
    "energy.json": dashboard(energyDashboard),
    "notifications.json": dashboard(notificationsDashboard),
  };
}
