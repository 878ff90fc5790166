import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { sloFromRow, slos } from "../../../core/db/schema/index.ts";
import { countWindows } from "../../../core/latency/window-queries.ts";
import { latencyThresholdMs } from "../../../core/slo/definition.ts";
import { computeSloStatus, sloCountWindows } from "../../../core/slo/status.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { json } from "../../openapi/responses.ts";
import { getOr404 } from "../shared/rows.ts";
import { securedErrors } from "../shared/schema.ts";
import { sloIdParams, sloOperation, sloStatusSchema } from "./schema.ts";

export const sloStatusRoute = createRoute({
  method: "get",
  path: "/{id}/status",
  summary: "Burn rate of every tier window, error budget remaining and state, from exact counts",
  ...sloOperation,
  middleware: [requireScope("read")] as const,
  request: { params: sloIdParams },
  responses: {
    200: json(sloStatusSchema, "The SLO's status now"),
    ...securedErrors(400, 404),
  },
});

export const getSloStatus: RouteHandler<typeof sloStatusRoute, AppEnv> = async (c) => {
  const row = await getOr404(c.var.tenant, slos, c.req.valid("param").id, "SLO");
  const slo = sloFromRow(row);
  const nowMs = c.var.deps.now();
  // Window state is platform telemetry (not tenant-owned); the tenant's SLO decides what is counted.
  const counts = await countWindows(
    c.var.tenant.db,
    { service: slo.service, routes: slo.routes, thresholdMs: latencyThresholdMs(slo) },
    sloCountWindows(slo, nowMs),
  );
  c.header("Cache-Control", "no-store");
  return c.json({ sloId: row.id, name: row.name, ...computeSloStatus(slo, nowMs, counts) }, 200);
};
