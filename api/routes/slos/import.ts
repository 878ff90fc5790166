import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { sloDefinitionSchema } from "../../../core/slo/definition.ts";
import { importOpenSlo, OpenSloImportError } from "../../../core/slo/openslo.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { ApiError } from "../../errors/api-error.ts";
import { invalidFields, validationError } from "../../errors/handler.ts";
import { json } from "../../openapi/responses.ts";
import { nulPaths } from "../../openapi/validation-hook.ts";
import { jsonBody, securedErrors } from "../shared/schema.ts";
import { presentSlo } from "./present.ts";
import { importBody, importResultSchema, sloOperation } from "./schema.ts";
import { insertSlo } from "./store.ts";

export const importSloRoute = createRoute({
  method: "post",
  path: "/import",
  summary: "Import an OpenSLO v1 SLO (ratio and threshold SLIs on gridpulse RequestEvents)",
  ...sloOperation,
  middleware: [requireScope("write")] as const,
  request: { body: jsonBody(importBody) },
  responses: {
    201: json(importResultSchema, "The imported SLO, or with dryRun the mapped definition only"),
    200: json(importResultSchema, "dryRun: the mapped definition (nothing stored)"),
    ...securedErrors(400),
  },
});

export const importSlo: RouteHandler<typeof importSloRoute, AppEnv> = async (c) => {
  const { yaml, dryRun } = c.req.valid("json");
  let imported: ReturnType<typeof importOpenSlo>;
  try {
    imported = importOpenSlo(yaml);
  } catch (error) {
    if (error instanceof OpenSloImportError) {
      throw new ApiError("validation_failed", error.message, {
        details: error.problems.map((message) => ({ path: "body.yaml", message, code: "openslo" })),
      });
    }
    throw error;
  }
  const parsed = sloDefinitionSchema.safeParse(imported.definition);
  if (!parsed.success) throw validationError("body.yaml", parsed.error);
  // YAML escapes ("\0") reach text that the request's own NUL check never saw.
  const nul = nulPaths(parsed.data, "body.yaml");
  if (nul.length > 0)
    throw invalidFields(
      nul.map((path) => ({
        path,
        message: "must not contain NUL characters",
        code: "nul_character",
      })),
    );
  if (dryRun) return c.json({ definition: parsed.data, warnings: imported.warnings }, 200);
  const row = await insertSlo(c.var.tenant, parsed.data, c.var.deps.now());
  c.header("Location", `/v1/slos/${encodeURIComponent(row.id)}`);
  return c.json(
    { slo: presentSlo(row), definition: parsed.data, warnings: imported.warnings },
    201,
  );
};
