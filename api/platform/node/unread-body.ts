/**
 * Node-only: what happens to a request body the app answered without reading to the end (a 401, 413 or
 * 415 before the body was parsed, a route that takes no body). Node's HTTP server keeps the connection
 * for the next request, but the unread bytes still sit in front of it; a body the app had begun to
 * read is paused by its stream adapter and would never be consumed. So, before the response goes out:
 *
 * - a body of declared length at most `drainMaxBytes` is drained (read and discarded) while the response
 *   is written: the connection stays usable and the client's next request on it is answered. A client
 *   that has not sent the rest within `drainTimeoutMs` loses the connection (as with any stalled body).
 * - a larger or chunked body is answered with `Connection: close`, then the connection is closed
 *   cleanly: our side is ended once the response is out, and what the client still sends is read and
 *   discarded for up to `lingerMs` (a lingering close), so the response is never lost to a TCP reset
 *   while the client is still uploading.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { setOwnMethod } from "../../middleware/own-method.ts";

export interface UnreadBodyOptions {
  drainMaxBytes: number;
  drainTimeoutMs: number;
  lingerMs: number;
  /** Counts each outcome (drained: the connection was kept; closed: answered with Connection: close). */
  count?: (outcome: "drained" | "closed") => void;
}

export interface NodeBindings {
  incoming: IncomingMessage;
  outgoing: ServerResponse;
}

type Fetch<E> = (request: Request, env: E) => Response | Promise<Response>;

const noop = () => {};

/** Wraps the app's fetch so every unread request body is drained or its connection closed cleanly. */
export function settleUnreadBodies<E>(fetch: Fetch<E>, options: UnreadBodyOptions): Fetch<E> {
  return async (request, env) => {
    const response = await fetch(request, env);
    const { incoming } = (env ?? {}) as Partial<NodeBindings>;
    // `complete`: the parser has the whole message; whatever is left is buffered, not on the wire.
    if (!incoming || incoming.complete || incoming.destroyed) return response;
    const declared = declaredLength(incoming);
    if (declared !== undefined && declared <= options.drainMaxBytes) {
      discard(incoming, options.drainTimeoutMs);
      options.count?.("drained");
      return response;
    }
    const socket = incoming.socket;
    // Node's server ends a `Connection: close` response's socket with destroySoon(), which destroys it
    // as soon as our FIN is written: with the client's bytes unread, the kernel answers with a reset.
    setOwnMethod(socket, "destroySoon", () => lingeringClose(socket, incoming, options.lingerMs));
    options.count?.("closed");
    return withHeader(response, "Connection", "close");
  };
}

function declaredLength(incoming: IncomingMessage): number | undefined {
  if (incoming.headers["transfer-encoding"] !== undefined) return undefined;
  const length = incoming.headers["content-length"];
  return length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined;
}

/** Reads the rest of the body and throws it away; listeners of a reader that stopped reading go. */
function discard(incoming: IncomingMessage, timeoutMs: number): void {
  incoming.removeAllListeners("data");
  const timer = setTimeout(() => incoming.socket?.destroy(), timeoutMs);
  timer.unref();
  const done = () => clearTimeout(timer);
  incoming.once("end", done);
  incoming.once("close", done);
  incoming.on("data", noop);
  incoming.resume();
}

function lingeringClose(socket: Socket, incoming: IncomingMessage, lingerMs: number): void {
  if (socket.destroyed) return;
  const destroy = () => socket.destroy();
  const timer = setTimeout(destroy, lingerMs);
  timer.unref();
  socket.once("close", () => clearTimeout(timer));
  // The client closing its side (after reading our response) ends the wait early.
  socket.once("end", destroy);
  if (!incoming.complete && !incoming.destroyed) {
    incoming.removeAllListeners("data");
    incoming.on("data", noop);
    incoming.resume();
  }
  socket.resume();
  socket.end();
}

function withHeader(response: Response, name: string, value: string): Response {
  try {
    response.headers.set(name, value);
    return response;
  } catch {
    // Immutable headers (a Response from fetch): copy it.
    const copy = new Response(response.body, response);
    copy.headers.set(name, value);
    return copy;
  }
}
