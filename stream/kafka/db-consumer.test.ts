import { type Client, createClient } from "@libsql/client";
import type { EachBatchPayload, Kafka, KafkaMessage, Producer } from "kafkajs";
import { describe, expect, it } from "vitest";
import { createDatabase } from "../../core/db/database.ts";
import { DatabaseUnavailableError } from "../../core/db/remote-database.ts";
import { silentLogger } from "../../core/observability/logger.ts";
import { applyMigrations } from "../../platform/db/migrate.ts";
import { createStreamMetrics } from "../metrics/registry.ts";
import { createDbConsumerStage } from "./db-consumer.ts";
import { offsetStatement, readStoredOffset } from "./stored-offsets.ts";

const topic = "things.v1";
const group = "g-things";

/** kafkajs at its boundary: a consumer whose `run` hands over eachBatch, and a producer that records. */
function fakeKafka() {
  const handlers = new Map<string, (e: unknown) => void>();
  const committed: { partition: number; offset: string }[] = [];
  const sought: { partition: number; offset: string }[] = [];
  let eachBatch: ((p: EachBatchPayload) => Promise<void>) | undefined;
  const consumer = {
    events: {
      GROUP_JOIN: "join",
      CRASH: "crash",
      STOP: "stop",
      END_BATCH_PROCESS: "end",
    },
    on: (event: string, handler: (e: unknown) => void) => handlers.set(event, handler),
    connect: async () => {},
    subscribe: async () => {},
    run: async (config: { eachBatch: (p: EachBatchPayload) => Promise<void> }) => {
      eachBatch = config.eachBatch;
    },
    commitOffsets: async (offsets: { partition: number; offset: string }[]) => {
      committed.push(...offsets.map(({ partition, offset }) => ({ partition, offset })));
    },
    seek: ({ partition, offset }: { partition: number; offset: string }) =>
      sought.push({ partition, offset }),
    disconnect: async () => {},
  };
  const dlq: { topic: string; values: string[] }[] = [];
  const producer = {
    send: async (r: { topic: string; messages: { value: Buffer | string | null }[] }) => {
      dlq.push({ topic: r.topic, values: r.messages.map((m) => String(m.value)) });
      return [];
    },
  };
  return {
    kafka: { consumer: () => consumer } as unknown as Kafka,
    producer: producer as unknown as Producer,
    join: (partitions: number[]) =>
      handlers.get("join")?.({
        payload: { memberAssignment: { [topic]: partitions } },
      }),
    /** Runs one fetched batch; returns the offsets resolved and the heartbeats. */
    async batch(partition: number, messages: KafkaMessage[], lastOffset?: string) {
      const resolved: string[] = [];
      let heartbeats = 0;
      if (!eachBatch) throw new Error("not started");
      await eachBatch({
        batch: {
          topic,
          partition,
          messages,
          lastOffset: () => lastOffset ?? (messages.at(-1)?.offset as string),
        },
        resolveOffset: (o: string) => resolved.push(o),
        heartbeat: async () => {
          heartbeats++;
        },
        isStale: () => false,
      } as unknown as EachBatchPayload);
      return { resolved, heartbeats };
    },
    committed,
    sought,
    dlq,
  };
}

const message = (offset: number, value: string): KafkaMessage =>
  ({
    offset: String(offset),
    key: null,
    value: Buffer.from(value),
    timestamp: "0",
    attributes: 0,
    headers: {},
  }) as unknown as KafkaMessage;

/** A stage whose state is a table of `things`, written with the offset in one libSQL batch. */
async function stage(options: { maxPerTransaction?: number; throughBatchEnd?: boolean } = {}) {
  const client: Client = createClient({ url: ":memory:" });
  const db = createDatabase(client);
  await applyMigrations(db);
  await client.execute("CREATE TABLE things (id TEXT PRIMARY KEY, n INTEGER NOT NULL)");
  const k = fakeKafka();
  const metrics = createStreamMetrics();
  const committedSlices: number[] = [];
  /** Set: the next transaction commits, but its answer is lost (a server that went silent after it). */
  const faults = { loseNextAnswer: false };
  const s = createDbConsumerStage<{ id: string; n: number }[], number>({
    stage: "things",
    kafka: k.kafka,
    sourceTopic: topic,
    groupId: group,
    deadLetterProducer: k.producer,
    metrics,
    logger: silentLogger,
    sessionTimeoutMs: 10_000,
    maxWaitMs: 100,
    now: () => 1_000,
    fetch: { maxBytesPerPartition: 1024 },
    ...options,
    storedOffset: (partition) => readStoredOffset(db, group, topic, partition),
    validate(partition, messages) {
      const valid: { id: string; n: number }[] = [];
      const deadLetters = [];
      for (const m of messages) {
        try {
          valid.push(JSON.parse(String(m.value)));
        } catch {
          deadLetters.push({
            partition,
            offset: m.offset,
            key: m.key,
            value: m.value,
            reason: "invalid_json",
            error: "not JSON",
          });
        }
      }
      return { valid, deadLetters };
    },
    async commit(things, position, nowMs) {
      await client.batch(
        [
          ...things.map((t) => ({
            sql: "INSERT INTO things (id, n) VALUES (?, ?)",
            args: [t.id, t.n],
          })),
          offsetStatement(position, nowMs),
        ],
        "write",
      );
      if (faults.loseNextAnswer) {
        faults.loseNextAnswer = false;
        throw new DatabaseUnavailableError("the database server did not answer within 5000 ms");
      }
      return things.length;
    },
    committed: (n) => committedSlices.push(n),
  });
  await s.start();
  const things = async () =>
    (await client.execute("SELECT id, n FROM things ORDER BY id")).rows.map((r) => [r.id, r.n]);
  const stored = () => readStoredOffset(db, group, topic, 0);
  const invalid = async () =>
    (await metrics.eventsInvalid.get()).values.find((v) => v.labels.reason === "invalid_json")
      ?.value ?? 0;
  return { ...k, things, stored, invalid, committedSlices, faults };
}

describe("database consumer skeleton", () => {
  it("dead-letters what fails validation and commits the rest with the offset in one transaction", async () => {
    const s = await stage();
    const { resolved } = await s.batch(0, [
      message(0, '{"id":"a","n":1}'),
      message(1, "{oops"),
      message(2, '{"id":"b","n":2}'),
    ]);
    expect(s.dlq).toEqual([{ topic: `${topic}.dlq`, values: ["{oops"] }]);
    expect(await s.invalid()).toBe(1);
    expect(await s.things()).toEqual([
      ["a", 1],
      ["b", 2],
    ]);
    expect(await s.stored()).toBe(3n);
    expect(resolved).toEqual(["2"]);
    expect(s.committed).toEqual([{ partition: 0, offset: "3" }]);
    expect(s.committedSlices).toEqual([2]);
  });

  it("a failed transaction stores neither state nor offset and resolves nothing; a redelivery is applied once", async () => {
    const s = await stage();
    await s.batch(0, [message(0, '{"id":"a","n":1}')]);
    // "a" again violates the primary key: the whole transaction, offset included, is rolled back.
    const failing = [message(1, '{"id":"c","n":3}'), message(2, '{"id":"a","n":9}')];
    await expect(s.batch(0, failing)).rejects.toThrow();
    expect(await s.things()).toEqual([["a", 1]]);
    expect(await s.stored()).toBe(1n);
    expect(s.committed).toEqual([{ partition: 0, offset: "1" }]);

    // kafkajs fetches again from the last resolved offset; what is below the stored offset is skipped.
    const again = await s.batch(0, [
      message(0, '{"id":"a","n":1}'),
      message(1, '{"id":"c","n":3}'),
      message(2, '{"id":"d","n":4}'),
    ]);
    expect(await s.things()).toEqual([
      ["a", 1],
      ["c", 3],
      ["d", 4],
    ]);
    expect(await s.stored()).toBe(3n);
    expect(again.resolved).toEqual(["2"]);

    // A new owner seeks to the database's offset on joining.
    s.join([0]);
    await new Promise((r) => setTimeout(r, 10));
    expect(s.sought).toEqual([{ partition: 0, offset: "3" }]);
  });

  it("a commit whose answer was lost: the redelivery reads the stored offset again and applies nothing twice", async () => {
    const s = await stage();
    await s.batch(0, [message(0, '{"id":"a","n":1}')]);
    s.faults.loseNextAnswer = true;
    const batch = [message(1, '{"id":"b","n":2}'), message(2, '{"id":"c","n":3}')];
    await expect(s.batch(0, batch)).rejects.toThrow(/did not answer/);
    // It did commit: rows and offset.
    expect(await s.stored()).toBe(3n);
    // kafkajs fetches the batch again (nothing was resolved): the stage asks the database where it
    // stands instead of trusting the offset it last saw committed, and skips both messages.
    const again = await s.batch(0, [...batch, message(3, '{"id":"d","n":4}')]);
    expect(await s.things()).toEqual([
      ["a", 1],
      ["b", 2],
      ["c", 3],
      ["d", 4],
    ]);
    expect(await s.stored()).toBe(4n);
    expect(again.resolved).toEqual(["3"]);
  });

  it("commits a large fetch in slices, each its own transaction with its offset", async () => {
    const s = await stage({ maxPerTransaction: 2, throughBatchEnd: true });
    const messages = [0, 1, 2, 3, 4].map((i) => message(i, `{"id":"t${i}","n":${i}}`));
    // The batch ends past a trailing control record (offset 5).
    const { resolved, heartbeats } = await s.batch(0, messages, "5");
    expect(s.committedSlices).toEqual([2, 2, 1]);
    expect(resolved).toEqual(["1", "3", "5"]);
    expect(s.committed.map((c) => c.offset)).toEqual(["2", "4", "6"]);
    expect(await s.stored()).toBe(6n);
    expect(heartbeats).toBe(3);
    expect((await s.things()).length).toBe(5);
  });
});
