/**
 * Workers: one database handle per isolate, over the libSQL client of the request being served.
 *
 * An I/O object belongs to the request that created it, so each request still gets its own client
 * (`@libsql/client/web`: plain data until it sends a pipeline request). What may live in the isolate
 * is the drizzle handle and the queries prepared on it: building them is most of the CPU of a small
 * read (a handle per request would also discard every prepared query). This client stands in for the
 * request's own: each call, and each property read (the client's protocol, its attached write queue),
 * goes to the client the request runs with (`run`), found through the request's async context. Work a
 * request hands over (a write group sent by its first member, a background `waitUntil`) runs in the
 * async context of the request that does it, so it uses that request's client, as before.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Client } from "@libsql/client";

export interface RequestClient {
  /** The client of the request in whose async context it is called. */
  readonly client: Client;
  /** Runs `fn` (a request) with `client` as its database client. */
  run<T>(client: Client, fn: () => T): T;
}

/** What the stand-in is outside a request (drizzle inspects its client when the handle is built). */
class RequestScopedClient {}

export function requestClient(): RequestClient {
  const current = new AsyncLocalStorage<Client>();
  const client = new Proxy(new RequestScopedClient() as unknown as Client, {
    get(placeholder, prop) {
      const own = current.getStore();
      if (own === undefined) return Reflect.get(placeholder, prop);
      const value = Reflect.get(own, prop, own);
      return typeof value === "function" ? value.bind(own) : value;
    },
    has: (placeholder, prop) => Reflect.has(current.getStore() ?? placeholder, prop),
  });
  return { client, run: (c, fn) => current.run(c, fn) };
}
