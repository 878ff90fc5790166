import { gzipSync } from "node:zlib";
import type { Producer, ProducerRecord } from "kafkajs";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../core/observability/logger.ts";
import { createStreamHttpApp } from "../http/server.ts";
import { createStreamMetrics } from "../metrics/registry.ts";
import { ingestProduceDeadlineMs, ingestRoutes } from "./ingest.route.ts";

const token = "ingest-token-0123456789abcdef";
const path = "/v1/ingest/requests";
const event = (id = "1") => ({
  id,
  ts: new Date().toISOString(),
  service: "svc",
  route: "/x",
  method: "GET",
  status: 200,
  durationMs: 5,
});

/** The route on the stream worker's app, with a producer faked at the Kafka boundary. */
function setup(
  options: { send?: (record: ProducerRecord) => Promise<unknown>; deadlineMs?: number } = {},
) {
  const sent: ProducerRecord[] = [];
  const logs: Record<string, unknown>[] = [];
  const metrics = createStreamMetrics();
  const producer = {
    send: async (record: ProducerRecord) => {
      if (options.send) return options.send(record);
      sent.push(record);
      return [];
    },
  } as unknown as Producer;
  const routes = ingestRoutes({
    token,
    producer,
    topic: "telemetry.requests.v1",
    metrics,
    logger: createLogger({ service: "t", writer: (_l, line) => logs.push(JSON.parse(line)) }),
    ...(options.deadlineMs !== undefined ? { produceDeadlineMs: options.deadlineMs } : {}),
  });
  const app = createStreamHttpApp({ metrics, stages: [], routes: [routes] });
  const outcomes = async () =>
    Object.fromEntries(
      (await metrics.ingestRequests.get()).values.map((v) => [v.labels.outcome, v.value]),
    );
  const events = async () =>
    Object.fromEntries(
      (await metrics.ingestEvents.get()).values.map((v) => [v.labels.outcome, v.value]),
    );
  return { app, sent, logs, outcomes, events };
}

const post = (
  app: ReturnType<typeof setup>["app"],
  body: string | Uint8Array,
  headers: Record<string, string> = {},
) =>
  app.request(path, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", ...headers },
    body,
  });

describe("POST /v1/ingest/requests", () => {
  it("produces valid events and answers 202", async () => {
    const { app, sent, outcomes } = setup();
    const res = await post(app, JSON.stringify({ events: [event()] }), {
      "Content-Type": "application/json; charset=UTF-8",
      "Content-Encoding": "identity",
    });
    expect(res.status).toBe(202);
    expect(sent).toHaveLength(1);
    expect(await outcomes()).toEqual({ accepted: 1 });
  });

  it("a compressed body is 415 naming the coding (RFC 9110 §15.5.16), with Accept-Encoding: identity", async () => {
    const { app, sent, outcomes } = setup();
    const res = await post(app, gzipSync(JSON.stringify({ events: [event()] })), {
      "Content-Encoding": "gzip",
    });
    expect(res.status).toBe(415);
    expect(res.headers.get("accept-encoding")).toBe("identity");
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("unsupported_media_type");
    expect(body.error.message).toContain("gzip");
    expect(sent).toEqual([]);
    expect(await outcomes()).toEqual({ unsupported_media_type: 1 });
  });

  it("a body that is not application/json (or has no Content-Type) is 415, as on the API", async () => {
    const { app, sent, outcomes } = setup();
    const body = JSON.stringify({ events: [event()] });
    for (const type of ["text/plain", "application/json; charset=latin1", "application/jsonx"]) {
      const res = await post(app, body, { "Content-Type": type });
      expect([type, res.status]).toEqual([type, 415]);
    }
    const none = await app.request(path, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}` },
      body: new Blob([body]),
    });
    expect(none.status).toBe(415);
    expect(((await none.json()) as { error: { message: string } }).error.message).toContain(
      "no Content-Type",
    );
    expect(sent).toEqual([]);
    expect(await outcomes()).toEqual({ unsupported_media_type: 4 });
  });

  it("another method is 405 with Allow: POST", async () => {
    const { app, outcomes } = setup();
    for (const method of ["GET", "PUT", "DELETE"]) {
      const res = await app.request(path, { method });
      expect([method, res.status, res.headers.get("allow")]).toEqual([method, 405, "POST"]);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
        "method_not_allowed",
      );
    }
    expect(await outcomes()).toEqual({ method_not_allowed: 3 });
  });

  it("counts 413 answers like the others", async () => {
    const { app, outcomes } = setup();
    const res = await post(
      app,
      JSON.stringify({ events: [event()], pad: "x".repeat(5 * 2 ** 20) }),
    );
    expect(res.status).toBe(413);
    expect(await outcomes()).toEqual({ payload_too_large: 1 });
  });

  it("with Kafka away answers 503 + Retry-After once the produce deadline has passed", async () => {
    let finish: (() => void) | undefined;
    const { app, logs, outcomes, events } = setup({
      deadlineMs: 200,
      send: () =>
        new Promise((resolve) => {
          finish = () => resolve([]);
        }),
    });
    const started = performance.now();
    const res = await post(app, JSON.stringify({ events: [event("a"), event("b")] }));
    const tookMs = performance.now() - started;
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(tookMs).toBeGreaterThanOrEqual(190);
    expect(tookMs).toBeLessThan(2000);
    expect(await outcomes()).toEqual({ unavailable: 1 });
    expect(logs.map((l) => l.msg)).toEqual(["ingest could not produce to Kafka"]);
    // The send was not cancelled: when it completes after all, its events are counted as accepted.
    finish?.();
    await new Promise((r) => setTimeout(r, 10));
    expect(await events()).toEqual({ accepted: 2 });
    expect(logs.map((l) => l.msg)).toContain("ingest events written after the deadline");
  });

  it("a failing produce is 503 + Retry-After at once, and the deadline defaults to a few seconds", async () => {
    const { app, outcomes } = setup({
      send: async () => {
        throw new Error("KafkaJSNumberOfRetriesExceeded");
      },
    });
    const res = await post(app, JSON.stringify({ events: [event()] }));
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(await outcomes()).toEqual({ unavailable: 1 });
    expect(ingestProduceDeadlineMs).toBe(5000);
  });
});
