import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { silences } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { updateWhile, writeUnderPreconditions } from "../../conventions/preconditions.ts";
import { json } from "../../openapi/responses.ts";
import { securedErrors } from "../shared/schema.ts";
import { presentSilence } from "./present.ts";
import { silenceIdParams, silenceOperation, silenceSchema } from "./schema.ts";
import { silenceTarget } from "./store.ts";

/** DELETE expires a silence rather than removing it. */
export const expireSilenceRoute = createRoute({
  ...silenceOperation,
  method: "delete",
  path: "/{id}",
  summary: "Expire a silence now (it stays listed with ?expired=true)",
  middleware: [requireScope("write")] as const,
  request: { params: silenceIdParams },
  responses: {
    200: json(silenceSchema, "The expired silence"),
    ...securedErrors(400, 404, 412),
  },
});

export const expireSilence: RouteHandler<typeof expireSilenceRoute, AppEnv> = async (c) => {
  const nowMs = c.var.deps.now();
  const tenant = c.var.tenant;
  const { id } = c.req.valid("param");
  const row = await writeUnderPreconditions(c, silenceTarget(id, nowMs), async (at) => {
    const current = await at.row();
    if (current.endsAtMs <= nowMs) return current;
    // Ends now; one that has not started yet gets a window that is already over (startsAt < endsAt
    // still holds, so the stream worker's silence schema accepts the row).
    return updateWhile(tenant, silences, id, at.unchanged, {
      startsAtMs: Math.min(current.startsAtMs, nowMs - 1),
      endsAtMs: nowMs,
    });
  });
  return c.json(presentSilence(row, nowMs), 200);
};
