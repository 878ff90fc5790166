/**
 * `POST /v1/ingest/requests` on STREAM_PORT: where the API on Workers sends its RequestEvents (Workers
 * cannot hold a Kafka connection). Authenticated with a shared bearer token (STREAM_INGEST_TOKEN, compared
 * in constant time); each event is validated; valid ones are produced to `telemetry.requests.v1`
 * (acknowledged by all in-sync replicas before the 202), invalid ones are counted and reported back
 * by index. Without a token configured the endpoint answers 404: it does not exist.
 */
import { Hono } from "hono";
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

const ingestBody = z.object({ events: z.array(z.unknown()).min(1).max(maxIngestEvents) });

export interface IngestDeps {
  token: string | undefined;
  producer: Producer;
  topic: string;
  metrics: StreamMetrics;
  logger: Logger;
}

export function ingestRoutes(deps: IngestDeps) {
  const tokenBytes = deps.token ? new TextEncoder().encode(deps.token) : undefined;
  return new Hono().post(
    "/v1/ingest/requests",
    bodyLimit({
      maxSize: maxIngestBytes,
      onError: (c) =>
        c.json(
          errorBody("payload_too_large", `ingest bodies are limited to ${maxIngestBytes} bytes`),
          413,
        ),
    }),
    async (c) => {
      if (!tokenBytes)
        return c.json(
          errorBody("not_found", "ingest is not enabled (STREAM_INGEST_TOKEN is unset)"),
          404,
        );
      const presented = /^Bearer\s+(\S+)$/i.exec(c.req.header("Authorization") ?? "")?.[1];
      if (!presented || !constantTimeEqual(new TextEncoder().encode(presented), tokenBytes)) {
        deps.metrics.ingestRequests.inc({ outcome: "unauthorized" });
        c.header("WWW-Authenticate", 'Bearer realm="gridpulse-ingest"');
        return c.json(errorBody("unauthorized", "missing or wrong ingest token"), 401);
      }
      let json: unknown;
      try {
        json = await c.req.json();
      } catch {
        deps.metrics.ingestRequests.inc({ outcome: "bad_request" });
        return c.json(errorBody("bad_request", "body is not JSON"), 400);
      }
      const parsed = ingestBody.safeParse(json);
      if (!parsed.success) {
        deps.metrics.ingestRequests.inc({ outcome: "bad_request" });
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
        try {
          await deps.producer.send({ topic: deps.topic, acks: -1, messages: accepted });
        } catch (error) {
          deps.metrics.ingestRequests.inc({ outcome: "unavailable" });
          deps.logger.error("ingest could not produce to Kafka", {
            err: error,
            events: accepted.length,
          });
          return c.json(
            errorBody("unavailable", "could not write the events to Kafka; retry later"),
            503,
          );
        }
      }
      deps.metrics.ingestEvents.inc({ outcome: "accepted" }, accepted.length);
      deps.metrics.ingestEvents.inc({ outcome: "rejected" }, rejected.length);
      deps.metrics.ingestRequests.inc({ outcome: "accepted" });
      if (rejected.length > 0)
        deps.logger.warn("ingest rejected events", {
          rejected: rejected.length,
          first: rejected[0],
        });
      return c.json({ accepted: accepted.length, rejected }, 202);
    },
  );
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= (a[i % Math.max(a.length, 1)] ?? 0) ^ (b[i] as number);
  return diff === 0;
}
