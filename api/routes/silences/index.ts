import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../context.ts";
import { validationHook } from "../../openapi/validation-hook.ts";
import { createSilence, createSilenceRoute } from "./create.ts";
import { expireSilence, expireSilenceRoute } from "./expire.ts";
import { getSilence, getSilenceRoute } from "./get.ts";
import { listSilences, listSilencesRoute } from "./list.ts";

/**
 * `/v1/silences`: label matchers that mute matching alerts between `startsAt` and `endsAt`
 * (core/alerts/suppression.ts). Deleting a silence expires it now.
 */
export const silenceRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(createSilenceRoute, createSilence)
  .openapi(listSilencesRoute, listSilences)
  .openapi(getSilenceRoute, getSilence)
  .openapi(expireSilenceRoute, expireSilence);
