/**
 * `c.json` answered through `c.body` (whatever `c.body` is when it is called), so that a middleware
 * wrapping `c.body` sees JSON answers too, as text: HTTP caching digests them for the ETag,
 * compression compresses them in the call. Hono's own `c.json` builds the answer without `c.body`.
 */
import type { Context } from "hono";
import { setOwnMethod } from "./own-method.ts";

/** What `c.body` takes: data, a status or init, and header values by name. */
export type BodyArg = number | ResponseInit | undefined;
export type BodyCall = (
  data: unknown,
  arg?: BodyArg,
  headers?: Record<string, string | string[]>,
) => Response;

const hasContentType = (headers: object | undefined) =>
  headers !== undefined && Object.keys(headers).some((k) => k.toLowerCase() === "content-type");

export function jsonThroughBody(c: Context): void {
  setOwnMethod(c, "json", ((
    object: unknown,
    arg?: BodyArg,
    headers?: Record<string, string | string[]>,
  ) =>
    (c.body as BodyCall)(
      JSON.stringify(object),
      arg,
      hasContentType(headers) ? headers : { ...headers, "content-type": "application/json" },
    )) as typeof c.json);
}
