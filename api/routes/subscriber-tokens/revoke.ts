import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { and, eq, inArray, type SQL } from "drizzle-orm";
import { outbox, pushSubscriptions, subscriberTokens } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { updateWhile, writeUnderPreconditions } from "../../conventions/preconditions.ts";
import { securedErrors } from "../shared/schema.ts";
import { subscriberTokenIdParams, subscriberTokenOperation } from "./schema.ts";
import { subscriberTokenTarget } from "./store.ts";

export const revokeSubscriberTokenRoute = createRoute({
  ...subscriberTokenOperation,
  method: "delete",
  path: "/{id}",
  summary:
    "Revoke a subscriber token (idempotent): its push subscriptions are deleted and their pending messages cancelled",
  middleware: [requireScope("write")] as const,
  request: { params: subscriberTokenIdParams },
  responses: { 204: { description: "Revoked" }, ...securedErrors(400, 404, 412) },
});

export const revokeSubscriberToken: RouteHandler<
  typeof revokeSubscriberTokenRoute,
  AppEnv
> = async (c) => {
  const tenant = c.var.tenant;
  const { id } = c.req.valid("param");
  await writeUnderPreconditions(c, subscriberTokenTarget(tenant, id), async (at) => {
    const row = await at.row();
    if (row.revokedAtMs !== null) return row;
    return updateWhile(tenant, subscriberTokens, id, at.unchanged, {
      revokedAtMs: c.var.deps.now(),
    });
  });
  const removed = await tenant.db
    .delete(pushSubscriptions)
    .where(tenant.where(pushSubscriptions, eq(pushSubscriptions.subscriberTokenId, id)))
    .returning({ id: pushSubscriptions.id });
  if (removed.length > 0)
    await tenant.updateWhere(
      outbox,
      and(
        eq(outbox.channel, "push"),
        inArray(
          outbox.targetId,
          removed.map((r) => r.id),
        ),
        eq(outbox.status, "pending"),
      ) as SQL,
      { status: "cancelled", lastError: "subscriber token revoked" },
    );
  return c.body(null, 204);
};
