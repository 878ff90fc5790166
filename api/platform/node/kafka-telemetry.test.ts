import type { Producer } from "kafkajs";
import { describe, expect, it } from "vitest";
import type { RequestEventInput } from "../../../core/events/request-event.ts";
import { silentLogger } from "../../../core/observability/logger.ts";
import { kafkaTelemetry } from "./kafka-telemetry.ts";

const event = (id: string): RequestEventInput => ({
  id,
  ts: 1_795_000_000_000,
  service: "edge-api",
  route: "/v1/me",
  method: "GET",
  status: 200,
  durationMs: 1,
});

/** A producer double at the module boundary: records sends, can be made to fail. */
function fakeProducer(fail = false) {
  const sent: string[][] = [];
  const producer = {
    send: async ({ messages }: { messages: { value: string }[] }) => {
      if (fail) throw new Error("broker unreachable");
      sent.push(messages.map((m) => JSON.parse(m.value).id));
      return [];
    },
  } as unknown as Producer;
  return { producer, sent };
}

describe("kafkaTelemetry", () => {
  it("batches events, never blocking record(), and counts deliveries", async () => {
    const { producer, sent } = fakeProducer();
    const counts: Record<string, number> = {};
    const sink = kafkaTelemetry({
      producer,
      topic: "t",
      logger: silentLogger,
      count: (outcome, n) => {
        counts[outcome] = (counts[outcome] ?? 0) + n;
      },
      maxBatch: 2,
      flushIntervalMs: 60_000,
    });
    for (const id of ["a", "b", "c"]) sink.record(event(id));
    expect(sent).toEqual([]);
    await sink.stop();
    expect(sent).toEqual([["a", "b"], ["c"]]);
    expect(counts).toEqual({ delivered: 3 });
  });

  it("counts drops when the buffer is full or the send fails", async () => {
    const { producer } = fakeProducer(true);
    const counts: Record<string, number> = {};
    const sink = kafkaTelemetry({
      producer,
      topic: "t",
      logger: silentLogger,
      count: (outcome, n) => {
        counts[outcome] = (counts[outcome] ?? 0) + n;
      },
      maxBuffer: 2,
      flushIntervalMs: 60_000,
    });
    for (const id of ["a", "b", "c", "d"]) sink.record(event(id));
    await sink.stop();
    expect(counts).toEqual({ dropped_buffer_full: 2, dropped_send_failed: 2 });
  });
});
