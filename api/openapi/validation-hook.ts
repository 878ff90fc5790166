import type { Hook } from "@hono/zod-openapi";
import type { AppEnv } from "../context.ts";
import { validationError } from "../errors/handler.ts";

/** Turns every failed request validation into the API's 400 with field paths. */
// biome-ignore lint/suspicious/noExplicitAny: the hook serves every route's input type
export const validationHook: Hook<any, AppEnv, any, any> = (result) => {
  if (!result.success) throw validationError(result.target, result.error);
};
