import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type SilenceRow, silences } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { json } from "../../openapi/responses.ts";
import { getOr404 } from "../shared/rows.ts";
import { securedErrors } from "../shared/schema.ts";
import { presentSilence } from "./present.ts";
import { silenceIdParams, silenceOperation, silenceSchema } from "./schema.ts";

/** DELETE expires a silence rather than removing it. */
export const expireSilenceRoute = createRoute({
  ...silenceOperation,
  method: "delete",
  path: "/{id}",
  summary: "Expire a silence now (it stays listed with ?expired=true)",
  middleware: [requireScope("write")] as const,
  request: { params: silenceIdParams },
  responses: { 200: json(silenceSchema, "The expired silence"), ...securedErrors(400, 404) },
});

export const expireSilence: RouteHandler<typeof expireSilenceRoute, AppEnv> = async (c) => {
  const nowMs = c.var.deps.now();
  const tenant = c.var.tenant;
  const { id } = c.req.valid("param");
  const current = await getOr404(tenant, silences, id, "silence");
  // Ends now; one that has not started yet gets a window that is already over (startsAt < endsAt
  // still holds, so the stream worker's silence schema accepts the row).
  const row =
    current.endsAtMs > nowMs
      ? await tenant.update(silences, id, {
          startsAtMs: Math.min(current.startsAtMs, nowMs - 1),
          endsAtMs: nowMs,
        })
      : current;
  return c.json(presentSilence(row as SilenceRow, nowMs), 200);
};
