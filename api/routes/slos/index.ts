import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../context.ts";
import { validationHook } from "../../openapi/validation-hook.ts";
import { createSlo, createSloRoute } from "./create.ts";
import { deleteSlo, deleteSloRoute } from "./delete.ts";
import { getSlo, getSloRoute } from "./get.ts";
import { importSlo, importSloRoute } from "./import.ts";
import { listSlos, listSlosRoute } from "./list.ts";
import { getSloStatus, sloStatusRoute } from "./status.ts";
import { updateSlo, updateSloRoute } from "./update.ts";

/** `/v1/slos`: SLO definitions of the tenant, their status, and OpenSLO import. */
export const sloRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(createSloRoute, createSlo)
  .openapi(importSloRoute, importSlo)
  .openapi(listSlosRoute, listSlos)
  .openapi(getSloRoute, getSlo)
  .openapi(sloStatusRoute, getSloStatus)
  .openapi(updateSloRoute, updateSlo)
  .openapi(deleteSloRoute, deleteSlo);
