import type { KafkaMessage } from "kafkajs";
import { describe, expect, it } from "vitest";
import { decodeMarketBatch } from "./market.process.ts";

const nowMs = Date.UTC(2026, 10, 30, 12);
const settings = { maxFutureMs: 86_400_000 };

const message = (offset: number, value: string | null): KafkaMessage =>
  ({
    offset: String(offset),
    key: Buffer.from("market:electricity"),
    value: value === null ? null : Buffer.from(value),
    headers: { origin: Buffer.from("test") },
    timestamp: String(nowMs),
    attributes: 0,
  }) as KafkaMessage;

const price = {
  id: "p1",
  ts: "2026-11-30T10:00:00Z",
  kind: "price",
  market: "GR",
  carrier: "electricity",
  region: "Attica",
  value: 0.21,
  unit: "EUR/kWh",
};

describe("decodeMarketBatch", () => {
  it("keeps valid events of every kind in offset order, with epoch-ms times", () => {
    const batch = decodeMarketBatch(
      2,
      [
        message(10, JSON.stringify(price)),
        message(
          11,
          JSON.stringify({
            id: "s1",
            ts: nowMs,
            kind: "subsidy",
            program: "exoikonomo",
            regions: ["Crete"],
            opensAt: "2026-12-01T00:00:00+02:00",
          }),
        ),
        message(
          12,
          JSON.stringify({ id: "r1", ts: nowMs, kind: "regulation", title: "t", summary: "s" }),
        ),
      ],
      nowMs,
      settings,
    );
    expect(batch.deadLetters).toEqual([]);
    expect(batch.events.map((e) => [e.offset, e.event.kind])).toEqual([
      ["10", "price"],
      ["11", "subsidy"],
      ["12", "regulation"],
    ]);
    expect(batch.events[0]?.event.ts).toBe(Date.UTC(2026, 10, 30, 10));
    expect(batch.events[1]?.event).toMatchObject({ opensAt: Date.UTC(2026, 10, 30, 22) });
    expect(batch.events[0]?.partition).toBe(2);
  });

  it("dead-letters garbage with its reason and keeps the original bytes and headers", () => {
    const batch = decodeMarketBatch(
      0,
      [
        message(1, "{not json"),
        message(2, JSON.stringify({ ...price, unit: "EUR/MWh" })),
        message(3, JSON.stringify({ ...price, kind: "tariff" })),
        message(4, null),
        message(5, JSON.stringify({ ...price, value: -1 })),
        message(6, JSON.stringify(price)),
      ],
      nowMs,
      settings,
    );
    expect(batch.events.map((e) => e.offset)).toEqual(["6"]);
    expect(batch.deadLetters.map((l) => [l.offset, l.reason])).toEqual([
      ["1", "invalid_json"],
      ["2", "schema_violation"],
      ["3", "schema_violation"],
      ["4", "empty_value"],
      ["5", "schema_violation"],
    ]);
    expect(batch.deadLetters[1]?.error).toContain("unit");
    expect(batch.deadLetters[0]?.value?.toString()).toBe("{not json");
    expect(batch.deadLetters[0]?.headers?.origin?.toString()).toBe("test");
  });

  it("dead-letters events dated beyond the allowed clock skew, accepts those within it", () => {
    const batch = decodeMarketBatch(
      0,
      [
        message(1, JSON.stringify({ ...price, id: "far", ts: Date.UTC(2199, 0, 1) })),
        message(2, JSON.stringify({ ...price, id: "near", ts: nowMs + 3_600_000 })),
      ],
      nowMs,
      settings,
    );
    expect(batch.events.map((e) => e.event.id)).toEqual(["near"]);
    expect(batch.deadLetters.map((l) => l.reason)).toEqual(["future_timestamp"]);
    expect(batch.deadLetters[0]?.error).toContain("2199-01-01T00:00:00.000Z");
  });
});
