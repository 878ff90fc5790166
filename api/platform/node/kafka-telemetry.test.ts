import {
  KafkaJSConnectionError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  type Message,
  type Producer,
} from "kafkajs";
import { describe, expect, it } from "vitest";
import type { RequestEventInput } from "../../../core/events/request-event.ts";
import { silentLogger } from "../../../core/observability/logger.ts";
import { type KafkaTelemetryOptions, kafkaTelemetry } from "./kafka-telemetry.ts";

const event = (id: string): RequestEventInput => ({
  id,
  ts: 1_795_000_000_000,
  service: "edge-api",
  route: "/v1/me",
  method: "GET",
  status: 200,
  durationMs: 1,
});
const eventBytes = Buffer.byteLength("edge-api") + Buffer.byteLength(JSON.stringify(event("a")));

/**
 * A producer double at the module boundary: records sends; `hold()` makes sends wait (a broker away,
 * as the idempotent producer's endless retries look from outside) until `release()`.
 */
function fakeProducer() {
  const sent: string[][] = [];
  let gate: Promise<void> | undefined;
  let open = () => {};
  let refuse = false;
  let unreachable = 0;
  const attempts: string[][] = [];
  const producer: Pick<Producer, "send"> = {
    send: async ({ messages }) => {
      if (gate) await gate;
      const ids = messages.map((m) => JSON.parse(String(m.value)).id);
      attempts.push(ids);
      if (refuse)
        throw new KafkaJSProtocolError({
          name: "KafkaJSProtocolError",
          message: "The request included a message larger than the max message size",
          type: "MESSAGE_TOO_LARGE",
          code: 10,
          retriable: false,
        } as unknown as Error);
      if (unreachable > 0) {
        unreachable--;
        // What kafkajs throws when its reconnects to a dead broker run out.
        throw new KafkaJSNumberOfRetriesExceeded(
          new KafkaJSConnectionError("Connection error: connect ECONNREFUSED 127.0.0.1:9092"),
          { retryCount: 5, retryTime: 1000 } as never,
        );
      }
      sent.push(ids);
      return [];
    },
  };
  return {
    producer,
    sent,
    attempts,
    unreachableFor(n: number) {
      unreachable = n;
    },
    hold() {
      gate = new Promise((done) => {
        open = done;
      });
    },
    release() {
      gate = undefined;
      open();
    },
    refuse(value: boolean) {
      refuse = value;
    },
  };
}

function sink(producer: Pick<Producer, "send">, extra: Partial<KafkaTelemetryOptions> = {}) {
  const counts: Record<string, number> = {};
  const add = (name: string, n: number) => {
    counts[name] = (counts[name] ?? 0) + n;
  };
  const telemetry = kafkaTelemetry({
    producer,
    topic: "t",
    logger: silentLogger,
    recorded: (n) => add("recorded", n),
    count: add,
    flushIntervalMs: 60_000,
    ...extra,
  });
  return { telemetry, counts };
}

describe("kafkaTelemetry", () => {
  it("batches events, never blocking record(), and counts deliveries", async () => {
    const fake = fakeProducer();
    const { telemetry, counts } = sink(fake.producer, { maxBatch: 2 });
    for (const id of ["a", "b", "c"]) telemetry.record(event(id));
    expect(fake.sent).toEqual([]);
    expect(telemetry.buffered()).toEqual({ events: 3, bytes: 3 * eventBytes });
    await telemetry.stop(5000);
    expect(fake.sent).toEqual([["a", "b"], ["c"]]);
    expect(counts).toEqual({ recorded: 3, delivered: 3 });
  });

  it("sends the event's tracestate as a Kafka header beside its traceparent (W3C §3.3)", async () => {
    const messages: Message[] = [];
    const producer: Pick<Producer, "send"> = {
      send: async (record) => {
        messages.push(...record.messages);
        return [];
      },
    };
    const { telemetry } = sink(producer);
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    telemetry.record({ ...event("a"), traceparent }, { tracestate: "congo=t61rcWkgMzE,rojo=1" });
    telemetry.record({ ...event("b"), traceparent });
    telemetry.record(event("c"), { tracestate: "rojo=1" }); // no traceparent: nothing to go with
    await telemetry.stop(1000);
    expect(messages.map((m) => m.headers)).toEqual([
      { traceparent, tracestate: "congo=t61rcWkgMzE,rojo=1" },
      undefined,
      undefined,
    ]);
    // The header bytes count toward the buffer.
    const withHeader = sink(producer).telemetry;
    withHeader.record({ ...event("a"), traceparent }, { tracestate: "rojo=1" });
    expect(withHeader.buffered().bytes).toBe(
      Buffer.byteLength("edge-api") +
        Buffer.byteLength(JSON.stringify({ ...event("a"), traceparent })) +
        Buffer.byteLength(`traceparent${traceparent}tracestaterojo=1`),
    );
    await withHeader.stop(1000);
  });

  it("buffers while the broker is away and delivers everything, in order, once it is back", async () => {
    const fake = fakeProducer();
    const { telemetry, counts } = sink(fake.producer, { maxBatch: 2 });
    fake.hold();
    telemetry.record(event("a"));
    const flushing = telemetry.flush();
    for (const id of ["b", "c", "d"]) telemetry.record(event(id));
    expect(telemetry.buffered().events).toBe(4);
    fake.release();
    await flushing;
    expect(fake.sent).toEqual([["a"], ["b", "c"], ["d"]]);
    expect(counts).toEqual({ recorded: 4, delivered: 4 });
    expect(telemetry.buffered()).toEqual({ events: 0, bytes: 0 });
    await telemetry.stop(1000);
  });

  it("drops the oldest waiting events beyond the byte cap, counted, and keeps the newest", async () => {
    const fake = fakeProducer();
    // Room for the batch in flight plus three waiting events.
    const { telemetry, counts } = sink(fake.producer, { maxBufferBytes: 4 * eventBytes });
    fake.hold();
    telemetry.record(event("a"));
    const flushing = telemetry.flush();
    for (const id of ["b", "c", "d", "e", "f"]) telemetry.record(event(id));
    expect(telemetry.buffered()).toEqual({ events: 4, bytes: 4 * eventBytes });
    fake.release();
    await flushing;
    expect(fake.sent.flat()).toEqual(["a", "d", "e", "f"]);
    expect(counts).toEqual({ recorded: 6, delivered: 4, dropped_buffer_full: 2 });
    await telemetry.stop(1000);
  });

  it("counts a batch the broker refuses and carries on with the next", async () => {
    const fake = fakeProducer();
    const { telemetry, counts } = sink(fake.producer, { maxBatch: 1 });
    fake.refuse(true);
    telemetry.record(event("a"));
    await telemetry.flush();
    fake.refuse(false);
    telemetry.record(event("b"));
    await telemetry.stop(1000);
    expect(fake.sent).toEqual([["b"]]);
    expect(counts).toEqual({ recorded: 2, dropped_rejected: 1, delivered: 1 });
  });

  it("keeps a batch through send failures while Kafka is unreachable and resends it unchanged", async () => {
    const fake = fakeProducer();
    let t = 0;
    const { telemetry, counts } = sink(fake.producer, { maxBatch: 2, now: () => t });
    fake.unreachableFor(2);
    for (const id of ["a", "b", "c"]) telemetry.record(event(id));
    await telemetry.flush();
    expect(telemetry.buffered().events).toBe(3);
    await telemetry.flush(); // within the backoff: no attempt
    expect(fake.attempts).toHaveLength(1);
    t += 250;
    telemetry.record(event("d"));
    await telemetry.flush();
    t += 500;
    await telemetry.flush();
    expect(fake.attempts).toEqual([
      ["a", "b"],
      ["a", "b"],
      ["a", "b"],
      ["c", "d"],
    ]);
    expect(counts).toEqual({ recorded: 4, delivered: 4 });
    await telemetry.stop(1000);
  });

  it("stops within its timeout while the broker is away, counting what was left", async () => {
    const fake = fakeProducer();
    const { telemetry, counts } = sink(fake.producer, { maxBatch: 2 });
    fake.hold();
    for (const id of ["a", "b", "c"]) telemetry.record(event(id));
    const started = performance.now();
    await telemetry.stop(200);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(counts).toEqual({ recorded: 3, dropped_shutdown: 3 });
    telemetry.record(event("d"));
    expect(counts).toEqual({ recorded: 4, dropped_shutdown: 4 });
    fake.release();
  });
});
