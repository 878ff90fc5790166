import type { KafkaMessage } from "kafkajs";
import { describe, expect, it } from "vitest";
import { classifyRequestMessages } from "./request-events.process.ts";

const message = (offset: number, value: string | null): KafkaMessage => ({
  key: Buffer.from("edge-api"),
  value: value === null ? null : Buffer.from(value),
  timestamp: "0",
  attributes: 0,
  offset: String(offset),
  headers: { origin: "test" },
});

const event = (id: string) =>
  JSON.stringify({
    id,
    ts: 1_795_000_000_000,
    service: "edge-api",
    route: "/v1/benchmarks",
    method: "GET",
    status: 200,
    durationMs: 3.2,
  });

describe("classifyRequestMessages", () => {
  it("keeps valid events in order and dead-letters the rest with offsets and reasons", () => {
    const result = classifyRequestMessages(2, [
      message(10, event("a")),
      message(11, "{oops"),
      message(12, event("b")),
      message(13, null),
      message(14, JSON.stringify({ id: "c" })),
    ]);
    expect(result.events.map((e) => e.id)).toEqual(["a", "b"]);
    expect(result.deadLetters.map((d) => [d.offset, d.reason])).toEqual([
      ["11", "invalid_json"],
      ["13", "empty_value"],
      ["14", "schema_violation"],
    ]);
    const letter = result.deadLetters[0];
    expect(letter?.partition).toBe(2);
    expect(letter?.key?.toString()).toBe("edge-api");
    expect(letter?.value?.toString()).toBe("{oops");
    expect(letter?.headers).toEqual({ origin: "test" });
    expect(result.deadLetters[2]?.error).toContain("ts:");
  });
});
