/**
 * `c.json` answered through `c.body` (whatever `c.body` is when it is called), so that a middleware
 * wrapping `c.body` sees JSON answers too, as text: HTTP caching digests them for the ETag,
 * compression compresses them in the call. Hono's own `c.json` builds the answer without `c.body`.
 */
import type { Context } from "hono";
import { setOwnMethod } from "./own-method.ts";

/** Header values by name, as `c.body` and `c.json` take them. */
export type HeaderRecord = Record<string, string | string[]>;

/** What `c.body` takes: data, a status or init, and header values by name. */
export type BodyArg = number | ResponseInit | undefined;
export type BodyCall = (data: unknown, arg?: BodyArg, headers?: HeaderRecord) => Response;

/** A header of a `c.body(…, headers)` record, by its (lower-case) name in any case. */
export function headerIn(headers: HeaderRecord | undefined, name: string): string | undefined {
  if (headers === undefined) return undefined;
  for (const key in headers) {
    if (key.toLowerCase() !== name) continue;
    const value = headers[key];
    return Array.isArray(value) ? value.join(", ") : value;
  }
  return undefined;
}

export function jsonThroughBody(c: Context): void {
  setOwnMethod(c, "json", ((object: unknown, arg?: BodyArg, headers?: HeaderRecord) =>
    (c.body as BodyCall)(
      JSON.stringify(object),
      arg,
      headerIn(headers, "content-type") !== undefined
        ? headers
        : { ...headers, "content-type": "application/json" },
    )) as typeof c.json);
}
