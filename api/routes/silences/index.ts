/**
 * `/v1/silences`: label matchers that mute matching alerts between `startsAt` and `endsAt`
 * (core/alerts/suppression.ts). Deleting a silence expires it now.
 */
import { createRoute, OpenAPIHono, type RouteHandler } from "@hono/zod-openapi";
import { gt, sql } from "drizzle-orm";
import { z } from "zod";
import { matcherSchema } from "../../../core/alerts/matchers.ts";
import { silenceSchema } from "../../../core/alerts/suppression.ts";
import { newId } from "../../../core/auth/ids.ts";
import { type SilenceRow, silences } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { setLocation } from "../../conventions/location.ts";
import { keysetList, pageBody, pageQueryFields, pageSchema } from "../../conventions/pagination.ts";
import { ApiError } from "../../errors/api-error.ts";
import { invalidField, invalidFields } from "../../errors/handler.ts";
import {
  bearerSecurity,
  errorResponses,
  json,
  securedErrorResponses,
} from "../../openapi/responses.ts";
import { validationHook } from "../../openapi/validation-hook.ts";

const idParams = z.object({
  id: z.string().regex(/^sil_[0-9A-Za-z]{16}$/, "must be a silence id (sil_…)"),
});

const silenceBody = z
  .strictObject({
    matchers: z.array(matcherSchema).min(1).max(32),
    startsAt: z.iso.datetime().optional().describe("default: now"),
    endsAt: z.iso.datetime(),
    comment: z.string().max(2000).optional(),
  })
  .meta({ id: "SilenceInput" });

const silenceOut = z
  .object({
    id: z.string(),
    matchers: z.array(matcherSchema),
    startsAt: z.iso.datetime(),
    endsAt: z.iso.datetime(),
    createdBy: z.string().nullable(),
    comment: z.string().nullable(),
    active: z.boolean(),
  })
  .meta({ id: "Silence" });

const present = (row: SilenceRow, nowMs: number) => ({
  id: row.id,
  matchers: row.matchers,
  startsAt: new Date(row.startsAtMs).toISOString(),
  endsAt: new Date(row.endsAtMs).toISOString(),
  createdBy: row.createdBy,
  comment: row.comment,
  active: row.startsAtMs <= nowMs && nowMs < row.endsAtMs,
});

const common = { tags: ["Alerts"], security: bearerSecurity };

const createSilenceRoute = createRoute({
  ...common,
  method: "post",
  path: "/",
  summary: "Create a silence",
  middleware: [requireScope("write")] as const,
  request: { body: { required: true, content: { "application/json": { schema: silenceBody } } } },
  responses: {
    201: json(silenceOut, "The silence"),
    ...securedErrorResponses(),
    ...errorResponses(400),
  },
});
const createSilence: RouteHandler<typeof createSilenceRoute, AppEnv> = async (c) => {
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
  const parsed = silenceSchema.safeParse(candidate);
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
  return c.json(present(row, nowMs), 201);
};

const listSilencesRoute = createRoute({
  ...common,
  method: "get",
  path: "/",
  summary: "List silences (by default those not yet expired)",
  middleware: [requireScope("read")] as const,
  request: {
    query: z.object({
      expired: z.enum(["true", "false"]).default("false"),
      ...pageQueryFields,
    }),
  },
  responses: {
    200: json(pageSchema(silenceOut, "SilencePage"), "The silences, newest first"),
    ...securedErrorResponses(),
    ...errorResponses(400),
  },
});
const listSilences: RouteHandler<typeof listSilencesRoute, AppEnv> = async (c) => {
  const nowMs = c.var.deps.now();
  const query = c.req.valid("query");
  const list = query.expired === "true" ? allSilences : currentSilences;
  const page = await list(c.var.tenant, query, { nowMs });
  return c.json(
    pageBody(page, (r) => present(r, nowMs)),
    200,
  );
};

const allSilences = keysetList(silences, silences.createdAtMs);
const currentSilences = keysetList(silences, silences.createdAtMs, {
  where: gt(silences.endsAtMs, sql.placeholder("nowMs")),
});

const getSilenceRoute = createRoute({
  ...common,
  method: "get",
  path: "/{id}",
  summary: "Get a silence",
  middleware: [requireScope("read")] as const,
  request: { params: idParams },
  responses: {
    200: json(silenceOut, "The silence"),
    ...securedErrorResponses(),
    ...errorResponses(400, 404),
  },
});
const getSilence: RouteHandler<typeof getSilenceRoute, AppEnv> = async (c) => {
  const row = await c.var.tenant.get(silences, c.req.valid("param").id);
  if (!row) throw new ApiError("not_found", "silence not found");
  return c.json(present(row, c.var.deps.now()), 200);
};

const expireSilenceRoute = createRoute({
  ...common,
  method: "delete",
  path: "/{id}",
  summary: "Expire a silence now (it stays listed with ?expired=true)",
  middleware: [requireScope("write")] as const,
  request: { params: idParams },
  responses: {
    200: json(silenceOut, "The expired silence"),
    ...securedErrorResponses(),
    ...errorResponses(400, 404),
  },
});
const expireSilence: RouteHandler<typeof expireSilenceRoute, AppEnv> = async (c) => {
  const nowMs = c.var.deps.now();
  const tenant = c.var.tenant;
  const { id } = c.req.valid("param");
  const current = await tenant.get(silences, id);
  if (!current) throw new ApiError("not_found", "silence not found");
  // Ends now; one that has not started yet gets a window that is already over (startsAt < endsAt
  // still holds, so the stream worker's silence schema accepts the row).
  const row =
    current.endsAtMs > nowMs
      ? await tenant.update(silences, id, {
          startsAtMs: Math.min(current.startsAtMs, nowMs - 1),
          endsAtMs: nowMs,
        })
      : current;
  return c.json(present(row as SilenceRow, nowMs), 200);
};

export const silenceRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(createSilenceRoute, createSilence)
  .openapi(listSilencesRoute, listSilences)
  .openapi(getSilenceRoute, getSilence)
  .openapi(expireSilenceRoute, expireSilence);
