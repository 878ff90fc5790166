import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../context.ts";
import { validationHook } from "../../openapi/validation-hook.ts";
import { createApiKey, createApiKeyRoute } from "./create.ts";
import { getApiKey, getApiKeyRoute } from "./get.ts";
import { listApiKeys, listApiKeysRoute } from "./list.ts";
import { revokeApiKey, revokeApiKeyRoute } from "./revoke.ts";

/** `/v1/api-keys`: tenant administrators manage their keys (admin scope). */
export const apiKeyRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(createApiKeyRoute, createApiKey)
  .openapi(listApiKeysRoute, listApiKeys)
  .openapi(getApiKeyRoute, getApiKey)
  .openapi(revokeApiKeyRoute, revokeApiKey);
