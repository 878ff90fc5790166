/**
 * `POST /v1/ingest/requests` on STREAM_PORT: where the API on Workers sends its RequestEvents (Workers
 * cannot hold a Kafka connection). Authenticated with a shared bearer token (STREAM_INGEST_TOKEN, compared
 * in constant time); the body must be uncompressed `application/json` (else 415); each event is
 * validated; valid ones are produced to `telemetry.requests.v1` (acknowledged by all in-sync replicas
 * before the 202, or 503 + Retry-After once `ingestProduceDeadlineMs` has passed), invalid ones are
 * counted and reported back by index. Another method is 405 with `Allow: POST`. Every answer is counted
 * in `gridpulse_stream_ingest_requests_total{outcome}`. Without a token configured the endpoint answers
 * 404: it does not exist.
 */
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Producer } from "kafkajs";
import { z } from "zod";
import { formatIssues } from "../../core/events/decode.ts";
import { requestEventSchema } from "../../core/events/request-event.ts";
import { errorBody } from "../../core/http/error-body.ts";
import type { Logger } from "../../core/observability/logger.ts";
import type { StreamMetrics } from "../metrics/registry.ts";

export const maxIngestEvents = 5000;
const maxIngestBytes = 4 * 1024 * 1024;
/**
 * How long a request waits for Kafka to acknowledge its events: past it the answer is 503 with
 * `Retry-After` (kafkajs alone retries for 11–21 s while the brokers are away). The send is not
 * cancelled: it may still complete, and its events are then counted as accepted.
 */
export const ingestProduceDeadlineMs = 5000;
const retryAfterS = "5";

const ingestBody = z.object({ events: z.array(z.unknown()).min(1).max(maxIngestEvents) });

export interface IngestDeps {
  token: string | undefined;
  producer: Producer;
  topic: string;
  metrics: StreamMetrics;
  logger: Logger;
  /** Default: ingestProduceDeadlineMs. */
  produceDeadlineMs?: number;
}

type Outcome =
  | "accepted"
  | "unauthorized"
  | "bad_request"
  | "unsupported_media_type"
  | "payload_too_large"
  | "method_not_allowed"
  | "unavailable";

/**
 * Why the body cannot be read as JSON, if it cannot: a content coding other than identity (RFC 9110
 * §8.4: the server decodes none), or a media type other than application/json with at most a UTF-8
 * charset (RFC 8259 §8.1). The API refuses the same with 415.
 */
function unsupportedBody(encoding: string | undefined, contentType: string | undefined) {
  const codings = (encoding ?? "")
    .split(",")
    .map((c) => c.trim().toLowerCase())
    .filter(Boolean);
  const coding = codings.find((c) => c !== "identity");
  if (coding)
    return `Content-Encoding ${coding.slice(0, 40)} is not supported: send the body uncompressed`;
  const [type = "", ...params] = (contentType ?? "").split(";").map((p) => p.trim());
  const utf8 = params.every((p) => /^charset\s*=\s*"?utf-8"?$/i.test(p));
  if (type.toLowerCase() !== "application/json" || !utf8)
    return `request bodies must be application/json (got ${contentType ? contentType.slice(0, 100) : "no Content-Type"})`;
  return undefined;
}

export function ingestRoutes(deps: IngestDeps) {
  const tokenBytes = deps.token ? new TextEncoder().encode(deps.token) : undefined;
  const deadlineMs = deps.produceDeadlineMs ?? ingestProduceDeadlineMs;
  const count = (outcome: Outcome) => deps.metrics.ingestRequests.inc({ outcome });
  const notEnabled = (c: Context) =>
    c.json(errorBody("not_found", "ingest is not enabled (STREAM_INGEST_TOKEN is unset)"), 404);
  return new Hono()
    .post(
      "/v1/ingest/requests",
      async (c, next) => {
        if (!tokenBytes) return notEnabled(c);
        await next();
      },
      bodyLimit({
        maxSize: maxIngestBytes,
        onError: (c) => {
          count("payload_too_large");
          return c.json(
            errorBody("payload_too_large", `ingest bodies are limited to ${maxIngestBytes} bytes`),
            413,
          );
        },
      }),
      async (c) => {
        const presented = /^Bearer\s+(\S+)$/i.exec(c.req.header("Authorization") ?? "")?.[1];
        if (
          !presented ||
          !constantTimeEqual(new TextEncoder().encode(presented), tokenBytes as Uint8Array)
        ) {
          count("unauthorized");
          c.header("WWW-Authenticate", 'Bearer realm="gridpulse-ingest"');
          return c.json(errorBody("unauthorized", "missing or wrong ingest token"), 401);
        }
        const unsupported = unsupportedBody(
          c.req.header("Content-Encoding"),
          c.req.header("Content-Type"),
        );
        if (unsupported) {
          count("unsupported_media_type");
          // RFC 9110 §12.5.3: Accept-Encoding in a 415 names the codings the server takes.
          if (unsupported.startsWith("Content-Encoding")) c.header("Accept-Encoding", "identity");
          return c.json(errorBody("unsupported_media_type", unsupported), 415);
        }
        let json: unknown;
        try {
          json = await c.req.json();
        } catch {
          count("bad_request");
          return c.json(errorBody("bad_request", "body is not JSON"), 400);
        }
        const parsed = ingestBody.safeParse(json);
        if (!parsed.success) {
          count("bad_request");
          return c.json(errorBody("validation_failed", formatIssues(parsed.error.issues)), 400);
        }
        const accepted: { key: string; value: string }[] = [];
        const rejected: { index: number; error: string }[] = [];
        parsed.data.events.forEach((raw, index) => {
          const event = requestEventSchema.safeParse(raw);
          if (event.success) accepted.push({ key: event.data.service, value: JSON.stringify(raw) });
          else rejected.push({ index, error: formatIssues(event.error.issues) });
        });
        if (accepted.length > 0) {
          const failure = await produce(accepted);
          if (failure) {
            count("unavailable");
            deps.logger.error("ingest could not produce to Kafka", {
              ...(failure.error ? { err: failure.error } : { reason: failure.reason }),
              events: accepted.length,
            });
            c.header("Retry-After", retryAfterS);
            return c.json(
              errorBody("unavailable", "could not write the events to Kafka; retry later"),
              503,
            );
          }
        }
        deps.metrics.ingestEvents.inc({ outcome: "accepted" }, accepted.length);
        deps.metrics.ingestEvents.inc({ outcome: "rejected" }, rejected.length);
        count("accepted");
        if (rejected.length > 0)
          deps.logger.warn("ingest rejected events", {
            rejected: rejected.length,
            first: rejected[0],
          });
        return c.json({ accepted: accepted.length, rejected }, 202);
      },
    )
    .all("/v1/ingest/requests", (c) => {
      if (!tokenBytes) return notEnabled(c);
      count("method_not_allowed");
      c.header("Allow", "POST");
      return c.json(
        errorBody("method_not_allowed", `${c.req.method} is not allowed on ${c.req.path}`, {
          allow: ["POST"],
        }),
        405,
      );
    });

  /**
   * Produces the events, waiting at most `deadlineMs`: undefined when Kafka acknowledged them, else
   * why not. A send still running at the deadline goes on; its events count as accepted if it lands.
   */
  async function produce(
    messages: { key: string; value: string }[],
  ): Promise<{ error?: unknown; reason?: string } | undefined> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let late = false;
    const sending = deps.producer.send({ topic: deps.topic, acks: -1, messages }).then(
      () => {
        if (!late) return undefined;
        deps.metrics.ingestEvents.inc({ outcome: "accepted" }, messages.length);
        deps.logger.warn("ingest events written after the deadline", { events: messages.length });
        return undefined;
      },
      (error: unknown) => (late ? undefined : { error }),
    );
    const deadline = new Promise<{ reason: string }>((resolve) => {
      timer = setTimeout(() => {
        late = true;
        resolve({ reason: `Kafka did not acknowledge the events within ${deadlineMs} ms` });
      }, deadlineMs);
    });
    try {
      return await Promise.race([sending, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= (a[i % Math.max(a.length, 1)] ?? 0) ^ (b[i] as number);
  return diff === 0;
}
