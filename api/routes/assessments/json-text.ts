import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** A response of JSON already serialised (stored assessments are answered byte for byte). */
export const jsonText = (c: Context, text: string, status: ContentfulStatusCode) =>
  c.body(text, status, { "content-type": "application/json" });
