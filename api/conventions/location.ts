import type { Context } from "hono";

/**
 * `Location` of a resource a POST just created: the collection's path (the request's) plus its id,
 * e.g. `POST /v1/webhooks` → `Location: /v1/webhooks/whk_…`. Set before answering 201.
 */
export function setLocation(c: Context, id: string): void {
  c.header("Location", `${c.req.path.replace(/\/+$/, "")}/${encodeURIComponent(id)}`);
}
