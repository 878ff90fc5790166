/**
 * The one HTTP client of the notification senders: a POST to a target the SSRF guard checked, over
 * keep-alive agents, with the socket pinned to the checked addresses, a hard deadline for the whole
 * exchange, redirects never followed (node:http does not follow them), and a bounded response excerpt.
 */
import http from "node:http";
import https from "node:https";
import type { HttpExchange } from "../../core/notify/outcome.ts";
import {
  type CheckedTarget,
  OutboundBlockedError,
  OutboundResolveError,
  pinnedLookup,
} from "./ssrf.ts";

export interface OutboundAgents {
  http: http.Agent;
  https: https.Agent;
  destroy(): void;
}

export interface AgentOptions {
  maxSockets?: number;
  /** Extra trusted CAs (tests' self-signed push service). */
  ca?: string | Buffer | (string | Buffer)[];
}

export function createOutboundAgents(options: AgentOptions = {}): OutboundAgents {
  const common = {
    keepAlive: true,
    keepAliveMsecs: 1000,
    maxSockets: options.maxSockets ?? 64,
    maxFreeSockets: 32,
    scheduling: "lifo" as const,
  };
  const httpAgent = new http.Agent(common);
  const httpsAgent = new https.Agent({ ...common, ...(options.ca ? { ca: options.ca } : {}) });
  return {
    http: httpAgent,
    https: httpsAgent,
    destroy() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

export interface OutboundResponse extends HttpExchange {
  /** The first `excerptBytes` of the response body (UTF-8, lossy). */
  responseExcerpt: string;
}

export interface PostOptions {
  target: CheckedTarget;
  headers: Record<string, string | number>;
  body: string | Uint8Array;
  deadlineMs: number;
  agents: OutboundAgents;
  excerptBytes: number;
}

// Response bodies past this are not drained: the socket is dropped instead of kept alive.
const drainLimitBytes = 64 * 1024;

/** Never rejects: failures come back as `networkError` or `timedOut`. */
export function postPinned(options: PostOptions): Promise<OutboundResponse> {
  const { target, excerptBytes } = options;
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  return new Promise((resolve) => {
    let settled = false;
    const chunks: Buffer[] = [];
    let kept = 0;
    let received = 0;
    const finish = (result: Omit<OutboundResponse, "durationMs" | "responseExcerpt">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({
        ...result,
        durationMs: elapsed(),
        responseExcerpt: Buffer.concat(chunks).toString("utf8"),
      });
    };
    const isHttps = target.url.protocol === "https:";
    const request = (isHttps ? https : http).request({
      protocol: target.url.protocol,
      hostname: target.hostname,
      port: target.port,
      path: `${target.url.pathname}${target.url.search}`,
      method: "POST",
      headers: options.headers,
      agent: isHttps ? options.agents.https : options.agents.http,
      lookup: pinnedLookup(target.addresses),
      ...(target.url.username || target.url.password
        ? {
            auth: `${decodeURIComponent(target.url.username)}:${decodeURIComponent(target.url.password)}`,
          }
        : {}),
    });
    const timer = setTimeout(() => {
      finish({ timedOut: true });
      request.destroy();
    }, options.deadlineMs);
    request.on("response", (response) => {
      response.on("data", (chunk: Buffer) => {
        received += chunk.length;
        if (kept < excerptBytes) {
          const part = chunk.subarray(0, excerptBytes - kept);
          chunks.push(part);
          kept += part.length;
        }
        if (received > drainLimitBytes) {
          finish({ status: response.statusCode, timedOut: false, retryAfter: header(response) });
          response.destroy();
        }
      });
      response.on("end", () =>
        finish({ status: response.statusCode, timedOut: false, retryAfter: header(response) }),
      );
      response.on("error", (error) => finish({ timedOut: false, networkError: errorCode(error) }));
    });
    request.on("error", (error) => finish({ timedOut: false, networkError: errorCode(error) }));
    request.end(options.body);
  });
}

const header = (response: http.IncomingMessage) => {
  const value = response.headers["retry-after"];
  return Array.isArray(value) ? value[0] : value;
};

/** A short error description without the URL (which may hold a token). */
function errorCode(error: Error): string {
  const code = (error as { code?: string }).code;
  return code ?? error.name;
}

/** The attempt-record fields every channel takes from a response: status, duration, excerpt, error. */
export function exchangeFields(response: OutboundResponse, deadlineMs: number) {
  return {
    ...(response.status !== undefined ? { status: response.status } : {}),
    durationMs: Math.round(response.durationMs * 100) / 100,
    responseExcerpt: response.responseExcerpt,
    ...(response.timedOut
      ? { error: `deadline of ${deadlineMs} ms passed` }
      : response.networkError
        ? { error: response.networkError }
        : {}),
  };
}

/**
 * The fields of an attempt that never reached the receiver: refused by the SSRF guard (`blocked`,
 * with the refusal reason) or impossible to send (`invalid`, with `describe(error)`). Neither names
 * the URL's path nor a secret.
 */
export function unsentFields(error: unknown, describe: (error: unknown) => string) {
  // A name that did not resolve this time is a network error, retried like a refused connection.
  if (error instanceof OutboundResolveError)
    return {
      outcome: "retry" as const,
      durationMs: 0,
      responseExcerpt: "",
      error: `DNS: ${error.code}`,
    };
  const blocked = error instanceof OutboundBlockedError;
  return {
    outcome: blocked ? ("blocked" as const) : ("invalid" as const),
    durationMs: 0,
    responseExcerpt: "",
    error: blocked ? `blocked: ${error.reason}` : describe(error),
  };
}
