import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { silenceSchema as storedSilenceSchema } from "../../../core/alerts/suppression.ts";
import { newId } from "../../../core/auth/ids.ts";
import { silences } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { setLocation } from "../../conventions/location.ts";
import { invalidField, invalidFields } from "../../errors/handler.ts";
import { json } from "../../openapi/responses.ts";
import { jsonBody, securedErrors } from "../shared/schema.ts";
import { presentSilence } from "./present.ts";
import { silenceBody, silenceOperation, silenceSchema } from "./schema.ts";

export const createSilenceRoute = createRoute({
  ...silenceOperation,
  method: "post",
  path: "/",
  summary: "Create a silence",
  middleware: [requireScope("write")] as const,
  request: { body: jsonBody(silenceBody) },
  responses: { 201: json(silenceSchema, "The silence"), ...securedErrors(400) },
});

export const createSilence: RouteHandler<typeof createSilenceRoute, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const nowMs = c.var.deps.now();
  const id = newId("sil");
  const candidate = {
    id,
    matchers: body.matchers,
    startsAtMs: body.startsAt ? Date.parse(body.startsAt) : nowMs,
    endsAtMs: Date.parse(body.endsAt),
    createdBy: c.var.auth.keyId,
    ...(body.comment ? { comment: body.comment } : {}),
  };
  // The stream worker's schema of a stored silence (core/alerts/suppression.ts), in the API's terms.
  const parsed = storedSilenceSchema.safeParse(candidate);
  if (!parsed.success) {
    throw invalidFields(
      parsed.error.issues.map((i) => ({
        path: ["body", ...i.path.map((p) => (p === "endsAtMs" ? "endsAt" : String(p)))].join("."),
        message: i.message.replace("endsAtMs must be after startsAtMs", "must be after startsAt"),
        code: "custom",
      })),
    );
  }
  if (parsed.data.endsAtMs <= nowMs) throw invalidField("body.endsAt", "must be in the future");
  const row = await c.var.tenant.insert(silences, {
    id,
    matchers: parsed.data.matchers,
    startsAtMs: parsed.data.startsAtMs,
    endsAtMs: parsed.data.endsAtMs,
    createdBy: parsed.data.createdBy ?? null,
    comment: parsed.data.comment ?? null,
    createdAtMs: nowMs,
  });
  setLocation(c, row.id);
  return c.json(presentSilence(row, nowMs), 201);
};
