import type { Client } from "@libsql/client";
import { afterEach, describe, expect, it } from "vitest";
import { memoryKafka, memoryRelay, openTestDatabase } from "./testing.ts";

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

async function setup(rows: number) {
  const t = await openTestDatabase();
  cleanup = t.close;
  for (let i = 0; i < rows; i++)
    await t.client.execute({
      sql: "insert into alert_transitions_outbox (id, tenant_id, fingerprint, payload, created_at_ms) values (?, 't', ?, ?, 0)",
      args: [`tr-${i}`, `fp-${i % 3}`, JSON.stringify({ id: `tr-${i}`, to: "firing" })],
    });
  return t;
}

const ids = (k: ReturnType<typeof memoryKafka>) => k.state.sent.map((m) => m.value.id);

/** The client, with the outbox deletes failing while `failDeletes` is set (a crash after Kafka's commit). */
function crashingClient(client: Client) {
  const state = { failDeletes: false };
  const wrapped = new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === "execute")
        return async (stmt: { sql: string; args?: unknown[] } | string) => {
          const sql = typeof stmt === "string" ? stmt : stmt.sql;
          if (
            state.failDeletes &&
            sql.startsWith("DELETE FROM alert_transitions_outbox WHERE seq <=")
          )
            throw new Error("killed");
          return target.execute(stmt as Parameters<Client["execute"]>[0]);
        };
      return Reflect.get(target, prop, receiver);
    },
  });
  return { client: wrapped, state };
}

describe("transitions relay", () => {
  it("publishes in seq order in batches, keyed by fingerprint, and empties the outbox", async () => {
    const t = await setup(7);
    const kafka = memoryKafka();
    const relay = memoryRelay(t.client, kafka.kafka, 3);
    expect(await relay.drain()).toBe(7);
    expect(ids(kafka)).toEqual(Array.from({ length: 7 }, (_, i) => `tr-${i}`));
    expect(kafka.state.sent.map((m) => m.key).slice(0, 3)).toEqual(["fp-0", "fp-1", "fp-2"]);
    expect(await relay.backlog()).toBe(0);
    expect(kafka.state.markers.get("test-alerts-relay")).toBe(8);
    expect(await relay.drain()).toBe(0);
  });

  it("a crash between Kafka's commit and the outbox delete publishes nothing twice after restart", async () => {
    const t = await setup(5);
    const kafka = memoryKafka();
    const crashing = crashingClient(t.client);
    crashing.state.failDeletes = true;
    await expect(memoryRelay(crashing.client, kafka.kafka, 2).drain()).rejects.toThrow("killed");
    // On Kafka: the first batch; in the outbox: everything still.
    expect(ids(kafka)).toEqual(["tr-0", "tr-1"]);
    expect(await memoryRelay(t.client, kafka.kafka).backlog()).toBe(5);
    // A new process: recovers from the marker, then publishes the rest once.
    await memoryRelay(t.client, kafka.kafka, 2).drain();
    expect(ids(kafka)).toEqual(["tr-0", "tr-1", "tr-2", "tr-3", "tr-4"]);
  });

  it("an older relay is fenced by a newer one and publishes nothing more", async () => {
    const t = await setup(2);
    const kafka = memoryKafka();
    const old = memoryRelay(t.client, kafka.kafka);
    await old.drain();
    await t.client.execute(
      "insert into alert_transitions_outbox (id, tenant_id, fingerprint, payload, created_at_ms) values ('tr-x', 't', 'fp', '{\"id\":\"tr-x\"}', 0)",
    );
    const next = memoryRelay(t.client, kafka.kafka);
    await next.drain();
    await t.client.execute(
      "insert into alert_transitions_outbox (id, tenant_id, fingerprint, payload, created_at_ms) values ('tr-y', 't', 'fp', '{\"id\":\"tr-y\"}', 0)",
    );
    await expect(old.drain()).rejects.toThrow("fenced");
    await next.drain();
    expect(ids(kafka)).toEqual(["tr-0", "tr-1", "tr-x", "tr-y"]);
  });

  it("Kafka down: nothing is lost, everything goes out once it is back", async () => {
    const t = await setup(3);
    const kafka = memoryKafka();
    const relay = memoryRelay(t.client, kafka.kafka);
    kafka.state.down = true;
    await expect(relay.drain()).rejects.toThrow("broker unavailable");
    kafka.state.down = false;
    await relay.drain();
    expect(ids(kafka)).toEqual(["tr-0", "tr-1", "tr-2"]);
  });
});
