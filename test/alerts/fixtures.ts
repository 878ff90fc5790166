/** Rows and traffic for the alert integration tests, stored as the API and clients would. */
import type { Notification } from "../../core/alerts/index.ts";
import type { Database } from "../../core/db/database.ts";
import { type OutboxRow, slos } from "../../core/db/schema/index.ts";
import type { RequestEventInput } from "../../core/events/request-event.ts";
import { sloDefinitionSchema } from "../../core/slo/definition.ts";

export type AlertPayload = { type: "alert"; notification: Notification };
export const notificationOf = (row: OutboxRow) => (row.payload as AlertPayload).notification;
export const lists = (row: OutboxRow, test: (labels: Record<string, string>) => boolean) =>
  notificationOf(row).alerts.some((a) => test(a.labels));

/** Page: 5m/2m windows, ticket: 10m/5m, over a one-day SLO window (factors 10.08 and 7.2). */
export async function insertSlo(db: Database, tenantId: string, id: string, service: string) {
  const slo = sloDefinitionSchema.parse({
    name: `${service} availability`,
    service,
    sli: { kind: "availability" },
    objective: 0.99,
    window: { kind: "rolling", days: 1 },
    tiers: [
      {
        name: "page",
        severity: "page",
        longWindow: "5m",
        shortWindow: "2m",
        budgetConsumed: 0.035,
      },
      {
        name: "ticket",
        severity: "ticket",
        longWindow: "10m",
        shortWindow: "5m",
        budgetConsumed: 0.05,
      },
    ],
    minEvents: 10,
  });
  await db.insert(slos).values({
    id,
    tenantId,
    name: slo.name,
    service: slo.service,
    routes: slo.routes,
    sli: slo.sli,
    objective: slo.objective,
    window: slo.window,
    tiers: slo.tiers,
    minEvents: slo.minEvents,
    createdAtMs: Date.now(),
    updatedAtMs: Date.now(),
  });
}

/** `count` requests of `service` with `status`, one per millisecond from `startMs`. */
export const requests = (service: string, count: number, status: number, startMs: number) =>
  Array.from(
    { length: count },
    (_, i): RequestEventInput => ({
      id: `${service}-${status}-${startMs}-${i}`,
      ts: startMs + i,
      service,
      route: "/v1/things",
      method: "GET",
      status,
      durationMs: 12,
    }),
  );
