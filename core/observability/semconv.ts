/**
 * Span names and attributes after the OpenTelemetry semantic conventions (stable HTTP; messaging for
 * the Kafka consumers), shared by the API (SERVER spans), the stream worker's stages (Kafka consumer
 * spans) and the webhook sender (CLIENT spans). Pure and runtime-neutral.
 */
import type { Attributes } from "@opentelemetry/api";

/** The HTTP methods the conventions know; any other is recorded as `_OTHER`. */
export const knownHttpMethods: ReadonlySet<string> = new Set([
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "DELETE",
  "CONNECT",
  "OPTIONS",
  "TRACE",
  "PATCH",
]);

/** `http.request.method`, plus `http.request.method_original` when the method is not a known one. */
export function httpMethodAttributes(method: string): Attributes {
  return knownHttpMethods.has(method)
    ? { "http.request.method": method }
    : { "http.request.method": "_OTHER", "http.request.method_original": method };
}

/**
 * A SERVER span's name: `{method} {route}`, or `{method}` alone when no route matched; an unknown
 * method is named `HTTP`.
 */
export function httpServerSpanName(method: string, route: string | undefined): string {
  const name = knownHttpMethods.has(method) ? method : "HTTP";
  return route === undefined ? name : `${name} ${route}`;
}

/**
 * Host and port of an authority (`host[:port]`, IPv6 in brackets). Undefined when it is not one.
 * The address is given without brackets.
 */
export function authorityParts(authority: string): { address: string; port?: number } | undefined {
  const m = /^(\[[\da-fA-F:.]+\]|[^\s:/?#@[\]]+)(?::(\d{1,5}))?$/.exec(authority);
  if (!m) return undefined;
  const host = m[1] as string;
  const address = host.startsWith("[") ? host.slice(1, -1) : host;
  if (m[2] === undefined) return { address };
  const port = Number(m[2]);
  return port <= 65535 ? { address, port } : undefined;
}

/**
 * What a SERVER span knows when the request arrives: method, `url.scheme`, `url.path`, and
 * `server.address`/`server.port` from the request's `Host` (the port only when it names one).
 * `url` is the request's absolute URL; `host` its Host header (the URL's host when absent).
 */
export function httpServerRequestAttributes(
  method: string,
  url: URL,
  host: string | undefined,
): Attributes {
  const attributes: Attributes = {
    ...httpMethodAttributes(method),
    "url.scheme": url.protocol.replace(/:$/, ""),
    "url.path": url.pathname,
  };
  const server = authorityParts(host ?? url.host);
  if (server) {
    attributes["server.address"] = server.address;
    if (server.port !== undefined) attributes["server.port"] = server.port;
  }
  return attributes;
}

/**
 * What a SERVER span learns when the response is sent: `http.route` only when a route matched (no
 * made-up value), the status code, and `error.type` for a 5xx.
 */
export function httpServerResponseAttributes(
  route: string | undefined,
  status: number,
): Attributes {
  const attributes: Attributes = { "http.response.status_code": status };
  if (route !== undefined) attributes["http.route"] = route;
  if (status >= 500) attributes["error.type"] = String(status);
  return attributes;
}

/** An absolute URL parsed; undefined when it is not one. */
function parsedUrl(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/** `url.full` of a parsed URL without secrets (see `redactedUrl`). */
function redactedParsedUrl(u: URL): string {
  const path = u.pathname === "/" || u.pathname === "" ? "/" : "/REDACTED";
  return `${u.protocol}//${u.host}${path}${u.search ? "?REDACTED" : ""}`;
}

/**
 * `url.full` without secrets: no userinfo, and the path and the query (webhook URLs often hold a
 * token there) replaced by `REDACTED` when there are any. Undefined when `url` is not absolute.
 */
export function redactedUrl(url: string): string | undefined {
  const u = parsedUrl(url);
  return u === undefined ? undefined : redactedParsedUrl(u);
}

const defaultPorts: Record<string, number> = { "http:": 80, "https:": 443 };

/**
 * A CLIENT span's request attributes: method, `url.full` (redacted), `server.address` and
 * `server.port` (the scheme's default when the URL names none).
 */
export function httpClientRequestAttributes(method: string, url: string): Attributes {
  const attributes: Attributes = httpMethodAttributes(method);
  const u = parsedUrl(url);
  if (u === undefined) return attributes;
  attributes["url.full"] = redactedParsedUrl(u);
  attributes["server.address"] = u.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = u.port === "" ? defaultPorts[u.protocol] : Number(u.port);
  if (port !== undefined) attributes["server.port"] = port;
  return attributes;
}

/**
 * A CLIENT span's outcome: `http.response.status_code` when a response came, and `error.type`: the
 * status code of a 4xx/5xx, else `failure` (e.g. a timeout code) when the request failed unanswered.
 */
export function httpClientResponseAttributes(
  status: number | undefined,
  failure: string | undefined,
): Attributes {
  const attributes: Attributes = {};
  if (status !== undefined) attributes["http.response.status_code"] = status;
  if (status !== undefined && status >= 400) attributes["error.type"] = String(status);
  else if (status === undefined && failure !== undefined) attributes["error.type"] = failure;
  return attributes;
}

/** A Kafka consumer operation: `receive` (a fetched batch) or `process` (one event's trace). */
export type KafkaConsumerOperation = "receive" | "process";

export interface KafkaConsumed {
  topic: string;
  partition: number;
  consumerGroup: string;
}

/** `{operation} {topic}` (topic names are few: low cardinality). */
export const kafkaConsumerSpanName = (operation: KafkaConsumerOperation, topic: string): string =>
  `${operation} ${topic}`;

/** The messaging attributes of a Kafka consumer span (`messaging.batch.message_count` when given). */
export function kafkaConsumerAttributes(
  operation: KafkaConsumerOperation,
  consumed: KafkaConsumed,
  messageCount?: number,
): Attributes {
  const attributes: Attributes = {
    "messaging.system": "kafka",
    "messaging.operation.type": operation,
    "messaging.operation.name": operation,
    "messaging.destination.name": consumed.topic,
    "messaging.destination.partition.id": String(consumed.partition),
    "messaging.consumer.group.name": consumed.consumerGroup,
  };
  if (messageCount !== undefined) attributes["messaging.batch.message_count"] = messageCount;
  return attributes;
}
