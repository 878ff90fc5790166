import type { IHeaders, Message, Producer, ProducerRecord } from "kafkajs";
import { describe, expect, it } from "vitest";
import { deadLetterHeaders } from "../../core/events/topics.ts";
import {
  type DeadLetter,
  deadLetterMessages,
  maxDeadLetterBytes,
  sendDeadLetters,
} from "./dead-letter.sink.ts";

const letter = (value: Buffer, headers?: IHeaders): DeadLetter => ({
  partition: 0,
  offset: "7",
  key: Buffer.from("edge-api"),
  value,
  ...(headers ? { headers } : {}),
  reason: "invalid_json",
  error: "x".repeat(300),
});

/** Bytes of a message as the broker counts them, give or take the record's varints. */
function messageBytes(m: Message): number {
  let bytes = (m.key?.length ?? 0) + (m.value?.length ?? 0);
  for (const [name, value] of Object.entries(m.headers ?? {}))
    for (const v of Array.isArray(value) ? value : [value])
      bytes += Buffer.byteLength(name) + (v === undefined ? 0 : Buffer.byteLength(v));
  return bytes;
}

const header = (m: Message | undefined, name: string) => m?.headers?.[name]?.toString();

describe("dead letters", () => {
  it("keep a small message's key, value and headers as they were", () => {
    const [m] = deadLetterMessages("t", [letter(Buffer.from("{not json"), { "x-a": "1" })], 0);
    expect(m?.value?.toString()).toBe("{not json");
    expect(header(m, "x-a")).toBe("1");
    expect(header(m, deadLetterHeaders.reason)).toBe("invalid_json");
    expect(header(m, deadLetterHeaders.originalValueBytes)).toBeUndefined();
  });

  it("cut a value at the broker's size limit to what fits, saying how long it was", () => {
    // The source topic takes a value this size (under 1,048,588 bytes with the batch overhead).
    const value = Buffer.alloc(1_048_400, 0x61);
    const [m] = deadLetterMessages("t", [letter(value, { "x-a": "1" })], 0);
    expect(m).toBeDefined();
    expect(messageBytes(m as Message)).toBeLessThanOrEqual(maxDeadLetterBytes);
    expect(header(m, deadLetterHeaders.originalValueBytes)).toBe("1048400");
    expect(header(m, "x-a")).toBe("1");
    expect(m?.key?.toString()).toBe("edge-api");
    const kept = m?.value as Buffer;
    expect(kept.length).toBeGreaterThan(990_000);
    expect(kept.equals(value.subarray(0, kept.length))).toBe(true);
  });

  it("leave out original headers that alone do not fit, and count them", () => {
    const headers = { big: "h".repeat(1_040_000), small: "s" };
    const [m] = deadLetterMessages("t", [letter(Buffer.from("v"), headers)], 0);
    expect(messageBytes(m as Message)).toBeLessThanOrEqual(maxDeadLetterBytes);
    expect(header(m, deadLetterHeaders.droppedHeaders)).toBe("2");
    expect(header(m, "big")).toBeUndefined();
    expect(m?.value?.toString()).toBe("v");
  });

  it("go out in sends the broker takes, not all in one", async () => {
    const sends: ProducerRecord[] = [];
    const producer = {
      send: async (record: ProducerRecord) => {
        sends.push(record);
        return [];
      },
    } as unknown as Producer;
    const letters = Array.from({ length: 3000 }, () => letter(Buffer.alloc(40, 0x7b)));
    await sendDeadLetters(producer, "t", letters, 0);
    expect(sends.length).toBeGreaterThan(1);
    expect(sends.every((s) => s.topic === "t.dlq" && s.acks === -1)).toBe(true);
    expect(sends.flatMap((s) => s.messages)).toHaveLength(3000);
    for (const s of sends)
      expect(s.messages.reduce((n, m) => n + messageBytes(m), 0)).toBeLessThanOrEqual(512 * 1024);
  });
});
