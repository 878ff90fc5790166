/**
 * Node-only: serves a fetch handler (a Hono app) on a host and port and resolves once listening, with
 * the port actually bound (so `PORT=0` works), plus a close that finishes open requests.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";

export interface RunningServer {
  port: number;
  url: string;
  close(): Promise<void>;
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
      },
      (info: AddressInfo) => {
        const host = info.family === "IPv6" ? `[${info.address}]` : info.address;
        resolve({
          port: info.port,
          url: `http://${host}:${info.port}`,
          close: () =>
            new Promise<void>((done) => {
              server.close(() => done());
              if ("closeIdleConnections" in server) server.closeIdleConnections();
            }),
        });
      },
    );
    options.configure?.(server as Server);
    server.once("error", reject);
  });
}
