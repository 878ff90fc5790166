/**
 * A raw HTTP/1.1 client connection (node:net) for tests that need what fetch hides: several requests
 * on one keep-alive socket, bodies the server does not read, oversized request lines, and exactly how
 * and when the server closes the connection.
 */
import net from "node:net";

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface RawConnection {
  write(data: string | Buffer): Promise<void>;
  /** The next complete response on the connection (Content-Length or chunked). */
  response(timeoutMs?: number): Promise<RawResponse>;
  /** Resolves once the server has ended or closed the connection, with any error seen before. */
  closed(timeoutMs?: number): Promise<{ error?: string }>;
  /** The connection is still open (no end, close or error seen). */
  open(): boolean;
  destroy(): void;
}

export async function rawConnection(url: string): Promise<RawConnection> {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  let buffer = Buffer.alloc(0);
  let ended = false;
  let error: string | undefined;
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of [...waiters]) w();
  };
  socket.on("data", (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    wake();
  });
  socket.on("end", () => {
    ended = true;
    wake();
  });
  socket.on("close", () => {
    ended = true;
    wake();
  });
  socket.on("error", (e: NodeJS.ErrnoException) => {
    error ??= e.code ?? e.message;
    ended = true;
    wake();
  });

  const until = <T>(what: string, check: () => T | undefined, timeoutMs: number) =>
    new Promise<T>((resolve, reject) => {
      const attempt = () => {
        let value: T | undefined;
        try {
          value = check();
        } catch (e) {
          waiters.delete(attempt);
          clearTimeout(timer);
          reject(e);
          return;
        }
        if (value !== undefined) {
          waiters.delete(attempt);
          clearTimeout(timer);
          resolve(value);
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(attempt);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      waiters.add(attempt);
      attempt();
    });

  const parse = (): RawResponse | undefined => {
    const headEnd = buffer.indexOf("\r\n\r\n");
    if (headEnd < 0) {
      if (ended) throw new Error(`connection ended before a response (${error ?? "no error"})`);
      return undefined;
    }
    const [statusLine, ...lines] = buffer.subarray(0, headEnd).toString("latin1").split("\r\n");
    const status = Number(statusLine?.split(" ")[1]);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const i = line.indexOf(":");
      headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    let rest = buffer.subarray(headEnd + 4);
    let body: Buffer;
    if (headers["transfer-encoding"]?.includes("chunked")) {
      const parts: Buffer[] = [];
      let offset = 0;
      for (;;) {
        const lineEnd = rest.indexOf("\r\n", offset);
        if (lineEnd < 0) return incomplete();
        const size = Number.parseInt(rest.subarray(offset, lineEnd).toString("latin1"), 16);
        if (rest.length < lineEnd + 2 + size + 2) return incomplete();
        if (size === 0) {
          offset = lineEnd + 4;
          break;
        }
        parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
        offset = lineEnd + 2 + size + 2;
      }
      body = Buffer.concat(parts);
      rest = rest.subarray(offset);
    } else {
      const length = Number(headers["content-length"] ?? 0);
      if (rest.length < length) return incomplete();
      body = rest.subarray(0, length);
      rest = rest.subarray(length);
    }
    buffer = rest;
    return { status, headers, body: body.toString("utf8") };
  };
  const incomplete = () => {
    if (ended) throw new Error(`connection ended in a response (${error ?? "no error"})`);
    return undefined;
  };

  return {
    write: (data) =>
      new Promise<void>((resolve) => {
        // A server that stops reading may leave a write pending forever or fail it: both are observed
        // through response() / closed(), never through the write.
        if (socket.destroyed) return resolve();
        socket.write(data, () => resolve());
        setTimeout(resolve, 50).unref();
      }),
    response: (timeoutMs = 10_000) => until("a response", parse, timeoutMs),
    closed: (timeoutMs = 10_000) =>
      until("the connection to close", () => (ended ? { error } : undefined), timeoutMs),
    open: () => !ended,
    destroy: () => socket.destroy(),
  };
}
