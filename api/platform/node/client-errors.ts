/**
 * Node-only: requests Node's HTTP parser refuses before the app sees them (request line and headers
 * over the server's header limit, malformed HTTP, a request that timed out) are answered with the
 * API's JSON error shape instead of Node's bare status line, then the connection is closed cleanly.
 */
import { maxHeaderSize as defaultMaxHeaderSize, type Server } from "node:http";
import type { Socket } from "node:net";
import { type ErrorCode, errorBody, errorStatus } from "../../errors/api-error.ts";

const reasons: Record<number, string> = {
  400: "Bad Request",
  408: "Request Timeout",
  431: "Request Header Fields Too Large",
};

function classify(code: string | undefined, maxHeaderBytes: number): [ErrorCode, string] {
  switch (code) {
    case "HPE_HEADER_OVERFLOW":
      return [
        "headers_too_large",
        `the request line and headers exceed ${maxHeaderBytes} bytes (long query strings count)`,
      ];
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return ["request_timeout", "the request was not received in time"];
    default:
      return ["bad_request", "malformed HTTP request"];
  }
}

/** The raw HTTP/1.1 response for a parser error, with the JSON error shape. */
export function clientErrorResponse(code: string | undefined, maxHeaderBytes: number): string {
  const [errorCode, message] = classify(code, maxHeaderBytes);
  const status = errorStatus[errorCode];
  const body = JSON.stringify(errorBody(errorCode, message));
  return (
    `HTTP/1.1 ${status} ${reasons[status] ?? "Error"}\r\n` +
    "Content-Type: application/json\r\n" +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    "Connection: close\r\n\r\n" +
    body
  );
}

export function jsonClientErrors(
  server: Server,
  options: { lingerMs: number; count?: (code: ErrorCode) => void },
): void {
  const maxHeaderBytes = defaultMaxHeaderSize;
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    // A response already on its way (or a dead peer) cannot be followed by another one.
    const busy = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code === "ECONNRESET" || !socket.writable || busy?.headersSent) {
      socket.destroy();
      return;
    }
    const [errorCode] = classify(error.code, maxHeaderBytes);
    options.count?.(errorCode);
    const timer = setTimeout(() => socket.destroy(), options.lingerMs);
    timer.unref();
    socket.once("close", () => clearTimeout(timer));
    socket.once("end", () => socket.destroy());
    socket.resume();
    socket.end(clientErrorResponse(error.code, maxHeaderBytes));
  });
}
