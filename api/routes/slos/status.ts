import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { sloFromRow, slos } from "../../../core/db/schema/index.ts";
import { countWindows } from "../../../core/latency/window-queries.ts";
import { latencyThresholdMs } from "../../../core/slo/definition.ts";
import { computeSloStatus, sloCountWindows } from "../../../core/slo/status.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { ApiError } from "../../errors/api-error.ts";
import {
  bearerSecurity,
  errorResponses,
  json,
  securedErrorResponses,
} from "../../openapi/responses.ts";
import { sloIdParams, sloStatusSchema } from "./schema.ts";

export const sloStatusRoute = createRoute({
  method: "get",
  path: "/{id}/status",
  summary: "Burn rate of every tier window, error budget remaining and state, from exact counts",
  tags: ["SLOs"],
  security: bearerSecurity,
  middleware: [requireScope("read")] as const,
  request: { params: sloIdParams },
  responses: {
    200: json(sloStatusSchema, "The SLO's status now"),
    ...securedErrorResponses(),
    ...errorResponses(400, 404),
  },
});

export const getSloStatus: RouteHandler<typeof sloStatusRoute, AppEnv> = async (c) => {
  const row = await c.var.tenant.get(slos, c.req.valid("param").id);
  if (!row) throw new ApiError("not_found", "SLO not found");
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
