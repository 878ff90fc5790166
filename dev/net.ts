/** Loopback helpers for the local stack and tests. */
import { randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * A TCP port that was free on 127.0.0.1 a moment ago, for a listener that another process binds
 * later. It is drawn below the kernel's ephemeral range when there is room: a port from that range
 * can become the local port of any outgoing connection (a Kafka client, an HTTP request) before its
 * listener binds it, and that bind then fails. Otherwise the OS picks one.
 */
export async function freePort(): Promise<number> {
  const [low] = ephemeralPortRange();
  if (low - lowestPickedPort >= 1000) {
    for (let i = 0; i < 20; i++) {
      const port = lowestPickedPort + randomInt(low - lowestPickedPort);
      if (!handedOut.has(port) && (await canBind(port))) return handOut(port);
    }
  }
  for (;;) {
    const port = await osPickedPort();
    if (!handedOut.has(port)) return handOut(port);
  }
}

const lowestPickedPort = 10_000;
/** Ports this process handed out: two callers that have not bound theirs yet never share one. */
const handedOut = new Set<number>();
function handOut(port: number): number {
  handedOut.add(port);
  return port;
}

let ephemeral: [number, number] | undefined;
/** Linux's `ip_local_port_range`; elsewhere the IANA dynamic range. */
export function ephemeralPortRange(): [number, number] {
  if (!ephemeral) {
    try {
      const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8")
        .trim()
        .split(/\s+/)
        .map(Number);
      ephemeral = low && high ? [low, high] : [49_152, 65_535];
    } catch {
      ephemeral = [49_152, 65_535];
    }
  }
  return ephemeral;
}

function osPickedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function isPortOpen(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.setTimeout(1000);
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
    socket.once("timeout", () => done(false));
  });
}

/** A port that 127.0.0.1 lets a listener bind now: neither listened on nor held by a connection. */
export function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/**
 * Polls `check` until it returns a value or the deadline passes; the last error is reported. An
 * aborted `signal` ends the wait at once with its reason (say, the process being waited for exited).
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  options: { timeoutMs: number; intervalMs?: number; signal?: AbortSignal },
): Promise<T> {
  const { signal } = options;
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    signal?.throwIfAborted();
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
      // The reason given at the deadline is the last attempt's: an error from before does not stand.
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    // An abort cuts the pause short; the loop's first line then throws its reason.
    await sleep(options.intervalMs ?? 100, undefined, signal ? { signal } : {}).catch(() => {});
  }
  signal?.throwIfAborted();
  const reason = lastError instanceof Error ? `: ${lastError.message}` : "";
  throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}${reason}`);
}
