import type { Client, ResultSet } from "@libsql/client";
import { describe, expect, it } from "vitest";
import { createDatabase } from "../../../core/db/database.ts";
import { apiKeys } from "../../../core/db/schema/index.ts";
import { requestClient } from "./request-client.ts";

/** A client that records the SQL it is sent, answering each with no rows. */
function recordingClient(name: string, sent: string[]): Client {
  const empty = { rows: [], columns: [], columnTypes: [], rowsAffected: 0, toJSON: () => ({}) };
  return {
    protocol: "http",
    closed: false,
    execute: async (stmt: { sql: string } | string) => {
      await new Promise((r) => setTimeout(r, Math.random() * 5));
      sent.push(`${name}: ${typeof stmt === "string" ? stmt : stmt.sql}`);
      return empty as unknown as ResultSet;
    },
  } as unknown as Client;
}

describe("requestClient", () => {
  it("gives each request its own client across awaits, under one shared drizzle handle", async () => {
    const clients = requestClient();
    const db = createDatabase(clients.client);
    const prepared = db.select().from(apiKeys).prepare();
    const sent: string[] = [];
    const request = (name: string) =>
      clients.run(recordingClient(name, sent), async () => {
        for (let i = 0; i < 5; i++) {
          await prepared.all();
          await new Promise((r) => setTimeout(r, 1));
          expect(clients.client.protocol).toBe("http");
        }
      });
    await Promise.all([request("a"), request("b"), request("c")]);
    for (const name of ["a", "b", "c"])
      expect(sent.filter((s) => s.startsWith(`${name}: select`))).toHaveLength(5);
    expect(sent).toHaveLength(15);
  });

  it("is an inert stand-in outside a request (drizzle may inspect it; a query fails loudly)", async () => {
    const clients = requestClient();
    expect(clients.client.constructor.name).toBe("RequestScopedClient");
    expect("execute" in clients.client).toBe(false);
    const db = createDatabase(clients.client);
    await expect(db.select().from(apiKeys)).rejects.toThrow();
  });
});
