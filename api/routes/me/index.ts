import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../context.ts";
import { validationHook } from "../../openapi/validation-hook.ts";
import { getMe, getMeRoute } from "./get.ts";

/** `/v1/me` */
export const meRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(
  getMeRoute,
  getMe,
);
