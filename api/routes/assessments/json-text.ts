import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** A response of JSON already serialised (stored assessments are answered byte for byte). */
export const jsonText = (c: Context, body: string | Uint8Array, status: ContentfulStatusCode) =>
  c.body(body as string, status, { "content-type": "application/json" });

const encoder = new TextEncoder();
/** UTF-8 bytes of a JSON text (stored and answered as they are). */
export const utf8 = (text: string) => encoder.encode(text);
