import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { ensureVapidPublicKey } from "../../../core/notify/vapid.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { json, securedErrorResponses } from "../../openapi/responses.ts";
import { pushOperation, vapidKeySchema } from "./schema.ts";

export const vapidKeyRoute = createRoute({
  ...pushOperation,
  method: "get",
  path: "/vapid-public-key",
  summary: "The VAPID public key to subscribe with (applicationServerKey)",
  description:
    "VAPID_PUBLIC_KEY when configured (then the stream worker must hold the matching private key); else the installation's stored key, generated on first use and shared with the stream worker through the database.",
  middleware: [requireScope("read")] as const,
  responses: { 200: json(vapidKeySchema, "The key"), ...securedErrorResponses() },
});

export const vapidKey: RouteHandler<typeof vapidKeyRoute, AppEnv> = async (c) => {
  const configured = c.var.deps.settings.VAPID_PUBLIC_KEY;
  const publicKey = configured ?? (await ensureVapidPublicKey(c.var.tenant.db, c.var.deps.now()));
  return c.json({ publicKey }, 200);
};
