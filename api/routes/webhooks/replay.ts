import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { replayMessages } from "../../notify/outbox.ts";
import { json } from "../../openapi/responses.ts";
import { securedErrors } from "../shared/schema.ts";
import { replayBody, replayResultSchema, webhookIdParams, webhookOperation } from "./schema.ts";
import { assertEnabled, endpointOf } from "./store.ts";

export const replayRoute = createRoute({
  ...webhookOperation,
  method: "post",
  path: "/{id}/replay",
  summary:
    "Send failed or cancelled messages again (same webhook-id); narrowed by messageIds and/or since",
  middleware: [requireScope("write")] as const,
  request: {
    params: webhookIdParams,
    body: { required: false, content: { "application/json": { schema: replayBody } } },
  },
  responses: {
    202: json(replayResultSchema, "The messages queued again"),
    ...securedErrors(400, 404, 409),
  },
});

export const replayWebhook: RouteHandler<typeof replayRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const body = (c.req.valid("json") ?? {}) as { messageIds?: string[]; since?: string };
  const tenant = c.var.tenant;
  assertEnabled(await endpointOf(tenant, id));
  const rows = await replayMessages(
    tenant,
    "webhook",
    id,
    {
      messageIds: body.messageIds,
      sinceMs: body.since === undefined ? undefined : Date.parse(body.since),
    },
    c.var.deps.now(),
  );
  return c.json({ replayed: rows.length, messageIds: rows.map((r) => r.id) }, 202);
};
