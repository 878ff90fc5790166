import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { hashApiKey } from "../../../core/auth/api-keys.ts";
import { newId } from "../../../core/auth/ids.ts";
import {
  generateSubscriberToken,
  subscriberTokenDefaultLifetimeMs,
  subscriberTokenMaxLifetimeMs,
} from "../../../core/auth/subscriber-tokens.ts";
import { subscriberTokens } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { setLocation } from "../../conventions/location.ts";
import { invalidField } from "../../errors/handler.ts";
import { json } from "../../openapi/responses.ts";
import { jsonBody, securedErrors } from "../shared/schema.ts";
import { presentSubscriberToken } from "./present.ts";
import {
  createdSubscriberTokenSchema,
  createSubscriberTokenBody,
  subscriberTokenOperation,
} from "./schema.ts";

export const createSubscriberTokenRoute = createRoute({
  ...subscriberTokenOperation,
  method: "post",
  path: "/",
  summary: "Create a subscriber token and its subscribe link (shown once)",
  middleware: [requireScope("write")] as const,
  request: { body: jsonBody(createSubscriberTokenBody) },
  responses: {
    201: json(createdSubscriberTokenSchema, "The new token and its link"),
    ...securedErrors(400),
  },
});

/** The token is shown once (with its link) and stored hashed; it always expires. */
export const createSubscriberToken: RouteHandler<
  typeof createSubscriberTokenRoute,
  AppEnv
> = async (c) => {
  const body = c.req.valid("json");
  const nowMs = c.var.deps.now();
  const expiresAtMs = body.expiresAt
    ? Date.parse(body.expiresAt)
    : nowMs + subscriberTokenDefaultLifetimeMs;
  if (expiresAtMs <= nowMs) throw invalidField("body.expiresAt", "must be in the future");
  if (expiresAtMs > nowMs + subscriberTokenMaxLifetimeMs)
    throw invalidField("body.expiresAt", "must be at most 366 days ahead");
  const { token, start } = generateSubscriberToken();
  const row = await c.var.tenant.insert(subscriberTokens, {
    id: newId("stok"),
    name: body.name,
    tokenHash: await (c.var.deps.hashApiKey ?? hashApiKey)(token),
    tokenStart: start,
    filters: body.filters,
    maxSubscriptions: body.maxSubscriptions,
    createdBy: c.var.auth.keyId,
    createdAtMs: nowMs,
    expiresAtMs,
    revokedAtMs: null,
    lastUsedAtMs: null,
  });
  // The token travels in the fragment: browsers never send it to a server or put it in logs.
  const link = `${new URL(c.req.url).origin}/subscribe/#token=${token}`;
  setLocation(c, row.id);
  return c.json({ ...presentSubscriberToken(row, 0), token, link }, 201);
};
