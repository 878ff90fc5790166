import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { apiKeys } from "../../../core/db/schema/index.ts";
import { prepareApiKey } from "../../../core/tenants/tenants.service.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { setLocation } from "../../conventions/location.ts";
import { ApiError } from "../../errors/api-error.ts";
import { json } from "../../openapi/responses.ts";
import { jsonBody, securedErrors } from "../shared/schema.ts";
import { presentApiKey } from "./present.ts";
import { apiKeyOperation, createApiKeyBody, createdApiKeySchema } from "./schema.ts";

export const createApiKeyRoute = createRoute({
  method: "post",
  path: "/",
  summary: "Create an API key (the key is shown once)",
  ...apiKeyOperation,
  middleware: [requireScope("admin")] as const,
  request: {
    body: jsonBody(createApiKeyBody),
  },
  responses: {
    201: json(createdApiKeySchema, "The new key, including the secret"),
    ...securedErrors(400),
  },
});

export const createApiKey: RouteHandler<typeof createApiKeyRoute, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const nowMs = c.var.deps.now();
  const expiresAtMs = body.expiresAt ? Date.parse(body.expiresAt) : null;
  if (expiresAtMs !== null && expiresAtMs <= nowMs) {
    throw new ApiError(
      "validation_failed",
      "invalid request: body.expiresAt: must be in the future",
      {
        details: [{ path: "body.expiresAt", message: "must be in the future", code: "custom" }],
      },
    );
  }
  const minted = await prepareApiKey({
    tenantId: c.var.auth.tenantId,
    name: body.name,
    scopes: body.scopes,
    nowMs,
    expiresAtMs,
  });
  const { tenantId: _t, ...values } = minted.row;
  const row = await c.var.tenant.insert(apiKeys, values);
  setLocation(c, row.id);
  return c.json({ ...presentApiKey(row), key: minted.key }, 201);
};
