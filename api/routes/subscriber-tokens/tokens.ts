/**
 * `/v1/subscriber-tokens`: a tenant (write scope) hands out subscribe links. Each token is shown once
 * (with its link), stored hashed, always expires, can be revoked (which deletes the push subscriptions
 * it registered and cancels their pending messages) and is listed with how many browsers it has.
 */
import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { and, count, eq, inArray, isNull, type SQL } from "drizzle-orm";
import { hashApiKey } from "../../../core/auth/api-keys.ts";
import { newId } from "../../../core/auth/ids.ts";
import {
  generateSubscriberToken,
  subscriberTokenDefaultLifetimeMs,
  subscriberTokenMaxLifetimeMs,
} from "../../../core/auth/subscriber-tokens.ts";
import {
  outbox,
  pushSubscriptions,
  type SubscriberTokenRow,
  subscriberTokens,
} from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { setLocation } from "../../conventions/location.ts";
import { keysetList, pageBody } from "../../conventions/pagination.ts";
import { ApiError } from "../../errors/api-error.ts";
import { invalidField } from "../../errors/handler.ts";
import {
  bearerSecurity,
  errorResponses,
  json,
  securedErrorResponses,
} from "../../openapi/responses.ts";
import type { TenantScope } from "../../tenancy/tenant-scope.ts";
import {
  createdSubscriberTokenSchema,
  createSubscriberTokenBody,
  listSubscriberTokensQuery,
  subscriberTokenIdParams,
  subscriberTokenListSchema,
  subscriberTokenSchema,
} from "./schema.ts";

const common = { tags: ["Subscriber tokens"], security: bearerSecurity };
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const present = (row: SubscriberTokenRow, subscriptions: number) => ({
  id: row.id,
  name: row.name,
  start: `${row.tokenStart}…`,
  filters: row.filters,
  maxSubscriptions: row.maxSubscriptions,
  subscriptions,
  createdBy: row.createdBy,
  createdAt: new Date(row.createdAtMs).toISOString(),
  expiresAt: new Date(row.expiresAtMs).toISOString(),
  revokedAt: iso(row.revokedAtMs),
  lastUsedAt: iso(row.lastUsedAtMs),
});

/** Push subscriptions per token of the tenant (one grouped query). */
async function subscriptionCounts(tenant: TenantScope, tokenIds: string[]) {
  if (tokenIds.length === 0) return new Map<string, number>();
  const rows = await tenant.db
    .select({ tokenId: pushSubscriptions.subscriberTokenId, n: count() })
    .from(pushSubscriptions)
    .where(tenant.where(pushSubscriptions, inArray(pushSubscriptions.subscriberTokenId, tokenIds)))
    .groupBy(pushSubscriptions.subscriberTokenId)
    .all();
  return new Map(rows.map((r) => [r.tokenId as string, r.n]));
}

export const createSubscriberTokenRoute = createRoute({
  ...common,
  method: "post",
  path: "/",
  summary: "Create a subscriber token and its subscribe link (shown once)",
  middleware: [requireScope("write")] as const,
  request: {
    body: {
      required: true,
      content: { "application/json": { schema: createSubscriberTokenBody } },
    },
  },
  responses: {
    201: json(createdSubscriberTokenSchema, "The new token and its link"),
    ...securedErrorResponses(),
    ...errorResponses(400),
  },
});
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
  return c.json({ ...present(row, 0), token, link }, 201);
};

export const listSubscriberTokensRoute = createRoute({
  ...common,
  method: "get",
  path: "/",
  summary: "List subscriber tokens (masked), newest first",
  middleware: [requireScope("write")] as const,
  request: { query: listSubscriberTokensQuery },
  responses: {
    200: json(subscriberTokenListSchema, "The tokens"),
    ...securedErrorResponses(),
    ...errorResponses(400),
  },
});
export const listSubscriberTokens: RouteHandler<typeof listSubscriberTokensRoute, AppEnv> = async (
  c,
) => {
  const query = c.req.valid("query");
  const page = await (query.includeRevoked ? allTokens : liveTokens)(c.var.tenant, query);
  const counts = await subscriptionCounts(
    c.var.tenant,
    page.rows.map((r) => r.id),
  );
  return c.json(
    pageBody(page, (r) => present(r, counts.get(r.id) ?? 0)),
    200,
  );
};
const allTokens = keysetList(subscriberTokens, subscriberTokens.createdAtMs);
const liveTokens = keysetList(subscriberTokens, subscriberTokens.createdAtMs, {
  where: isNull(subscriberTokens.revokedAtMs),
});

export const getSubscriberTokenRoute = createRoute({
  ...common,
  method: "get",
  path: "/{id}",
  summary: "Get a subscriber token (masked)",
  middleware: [requireScope("write")] as const,
  request: { params: subscriberTokenIdParams },
  responses: {
    200: json(subscriberTokenSchema, "The token"),
    ...securedErrorResponses(),
    ...errorResponses(400, 404),
  },
});
export const getSubscriberToken: RouteHandler<typeof getSubscriberTokenRoute, AppEnv> = async (
  c,
) => {
  const row = await c.var.tenant.get(subscriberTokens, c.req.valid("param").id);
  if (!row) throw new ApiError("not_found", "subscriber token not found");
  const counts = await subscriptionCounts(c.var.tenant, [row.id]);
  return c.json(present(row, counts.get(row.id) ?? 0), 200);
};

export const revokeSubscriberTokenRoute = createRoute({
  ...common,
  method: "delete",
  path: "/{id}",
  summary:
    "Revoke a subscriber token (idempotent): its push subscriptions are deleted and their pending messages cancelled",
  middleware: [requireScope("write")] as const,
  request: { params: subscriberTokenIdParams },
  responses: {
    204: { description: "Revoked" },
    ...securedErrorResponses(),
    ...errorResponses(400, 404),
  },
});
export const revokeSubscriberToken: RouteHandler<
  typeof revokeSubscriberTokenRoute,
  AppEnv
> = async (c) => {
  const tenant = c.var.tenant;
  const { id } = c.req.valid("param");
  const row = await tenant.get(subscriberTokens, id);
  if (!row) throw new ApiError("not_found", "subscriber token not found");
  if (row.revokedAtMs === null)
    await tenant.update(subscriberTokens, id, { revokedAtMs: c.var.deps.now() });
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
