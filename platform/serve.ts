/**
 * Node-only: serves a fetch handler (a Hono app) on a host and port and resolves once listening, with
 * the port actually bound (so `PORT=0` works), plus a close that finishes open requests in bounded
 * time: keep-alive connections are closed as soon as they are idle, and whatever is still open after
 * `forceCloseMs` is cut.
 */
import type { Server as HttpServer, Server, ServerOptions } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";

export interface RunningServer {
  port: number;
  url: string;
  close(forceCloseMs?: number): Promise<void>;
}

export interface ListenOptions {
  port: number;
  hostname: string;
  /**
   * false: the host handles request bodies the app left unread itself (the default lets the adapter
   * drain them for at most 0.5 s and then drop the connection).
   */
  autoCleanupIncoming?: boolean;
  /** Called with the HTTP server before it listens (to add `clientError` handling, for example). */
  configure?: (server: Server) => void;
  /** Options of the HTTP server that are set when it is created (timeouts, for example). */
  serverOptions?: ServerOptions;
}

export function listen(
  // biome-ignore lint/suspicious/noExplicitAny: the adapter passes its Node bindings as `env`
  fetch: (request: Request, env: any) => Response | Promise<Response>,
  options: ListenOptions,
): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = serve(
      {
        fetch,
        port: options.port,
        hostname: options.hostname,
        ...(options.autoCleanupIncoming === undefined
          ? {}
          : { autoCleanupIncoming: options.autoCleanupIncoming }),
        ...(options.serverOptions ? { serverOptions: options.serverOptions } : {}),
      },
      (info: AddressInfo) => {
        const host = info.family === "IPv6" ? `[${info.address}]` : info.address;
        resolve({
          port: info.port,
          url: `http://${host}:${info.port}`,
          close: (forceCloseMs = 3000) =>
            new Promise<void>((done) => {
              const http = server as Partial<Pick<HttpServer, "closeIdleConnections">> &
                Partial<Pick<HttpServer, "closeAllConnections">>;
              // A keep-alive connection busy with a request becomes idle once its response is
              // written; it would otherwise stay open until the client's next request.
              const idle = setInterval(() => http.closeIdleConnections?.(), 50);
              const force = setTimeout(() => http.closeAllConnections?.(), forceCloseMs);
              server.close(() => {
                clearInterval(idle);
                clearTimeout(force);
                done();
              });
              http.closeIdleConnections?.();
            }),
        });
      },
    );
    options.configure?.(server as Server);
    server.once("error", reject);
  });
}

/**
 * Server options bounding how long a client may take to send a request's line and headers
 * (`headersTimeout`; the request is then answered 408). Node compares open connections with it every
 * `connectionsCheckingInterval`, 30 s by default, which would let a slow client keep its socket up to
 * 30 s past the deadline: checked every second here (more often for a deadline under 4 s). The whole
 * request (`requestTimeout`) keeps Node's 300 s.
 */
export function headerDeadline(ms: number): ServerOptions {
  return { headersTimeout: ms, connectionsCheckingInterval: Math.min(1000, Math.ceil(ms / 4)) };
}
