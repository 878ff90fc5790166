/**
 * Node-only: the exchange (and `fetch`) of a libSQL server client over `node:http` / `node:https`
 * with keep-alive agents, instead of the global `fetch`.
 *
 * Same contract as `serverExchange` (core/db/remote-database.ts): a deadline per request
 * (`timeoutMs`; 0: none) covering the whole exchange, uncompressed responses, and a server that is
 * unreachable, past the deadline or away behind a gateway (502/503/504) fails with
 * `DatabaseUnavailableError`. Redirects are not followed (the libSQL protocol moves a stream by its
 * `base_url`, never by HTTP redirects): a URL that answers one fails with the client's "Server
 * returned HTTP status 3xx" instead.
 *
 * Why: per round trip to a local sqld, Node's global `fetch` (request and response as web streams)
 * spent 330–420 µs of CPU against 180–240 µs through `http.request`, the Request/Response conversion
 * included (`npm run bench:server-fetch`, warmed up, 8 at a time). On Node against sqld that was a
 * large share of each API request's CPU, and of the stream worker's writes.
 */
import http from "node:http";
import https from "node:https";
import {
  DatabaseUnavailableError,
  fetchOver,
  isGatewayStatus,
  type ServerExchange,
  type ServerReply,
  serverUnreachable,
} from "../../core/db/remote-database.ts";

/** Keep-alive connections per protocol, shared by every client of the process. */
const agents = {
  "http:": new http.Agent({ keepAlive: true }),
  "https:": new https.Agent({ keepAlive: true }),
};

/** The response's headers as a `Headers` (repeated headers appended, in order). */
function responseHeaders(raw: http.IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  return headers;
}

export function nodeServerExchange(timeoutMs: number): ServerExchange {
  return async (call) => {
    const url = new URL(call.url);
    const agent = url.protocol === "https:" ? agents["https:"] : agents["http:"];
    if (url.protocol !== "http:" && url.protocol !== "https:")
      throw serverUnreachable(new Error(`unsupported protocol ${url.protocol}`), false, timeoutMs);
    const payload = call.body === null ? undefined : Buffer.from(call.body);
    const headers: Record<string, string> = {};
    call.headers.forEach((value, name) => {
      headers[name] = value;
    });
    headers["accept-encoding"] = "identity";
    if (payload !== undefined) headers["content-length"] = String(payload.length);
    const send = url.protocol === "https:" ? https.request : http.request;
    const reply = await new Promise<ServerReply>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const fail = (error: unknown, timedOut: boolean) => {
        clearTimeout(timer);
        reject(serverUnreachable(error, timedOut, timeoutMs));
      };
      const req = send(url, { method: call.method, agent, headers }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("error", (error) => fail(error, false));
        res.on("close", () => {
          if (!res.complete)
            fail(new Error("the connection closed before the response was complete"), false);
        });
        res.on("end", () => {
          clearTimeout(timer);
          const status = res.statusCode ?? 0;
          // A status the Fetch API cannot carry (a broken server) is the server being away too.
          if (status < 200 || status > 599) {
            reject(serverUnreachable(new Error(`status ${status}`), false, timeoutMs));
            return;
          }
          resolve({
            status,
            statusText: res.statusMessage ?? "",
            headers: responseHeaders(res.headers),
            text,
          });
        });
      });
      req.on("error", (error) => fail(error, false));
      if (timeoutMs > 0)
        timer = setTimeout(() => {
          req.destroy(new Error(`no answer within ${timeoutMs} ms`));
          fail(new Error(`no answer within ${timeoutMs} ms`), true);
        }, timeoutMs);
      req.end(payload);
    });
    if (isGatewayStatus(reply.status))
      throw new DatabaseUnavailableError(`the database server answered ${reply.status}`);
    return reply;
  };
}

/** The `fetch` of a libSQL server client over `nodeServerExchange`. */
export const nodeServerFetch = (timeoutMs: number) => fetchOver(nodeServerExchange(timeoutMs));
