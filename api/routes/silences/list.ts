import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { gt, sql } from "drizzle-orm";
import { silences } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { keysetList, pageBody } from "../../conventions/pagination.ts";
import { json } from "../../openapi/responses.ts";
import { securedErrors } from "../shared/schema.ts";
import { presentSilence } from "./present.ts";
import { listSilencesQuery, silenceListSchema, silenceOperation } from "./schema.ts";

export const listSilencesRoute = createRoute({
  ...silenceOperation,
  method: "get",
  path: "/",
  summary: "List silences (by default those not yet expired)",
  middleware: [requireScope("read")] as const,
  request: { query: listSilencesQuery },
  responses: { 200: json(silenceListSchema, "The silences, newest first"), ...securedErrors(400) },
});

const allSilences = keysetList(silences, silences.createdAtMs);
const currentSilences = keysetList(silences, silences.createdAtMs, {
  where: gt(silences.endsAtMs, sql.placeholder("nowMs")),
});

export const listSilences: RouteHandler<typeof listSilencesRoute, AppEnv> = async (c) => {
  const nowMs = c.var.deps.now();
  const query = c.req.valid("query");
  const list = query.expired === "true" ? allSilences : currentSilences;
  const page = await list(c.var.tenant, query, { nowMs });
  return c.json(
    pageBody(page, (r) => presentSilence(r, nowMs)),
    200,
  );
};
