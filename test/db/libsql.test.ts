/**
 * The database paths against real libSQL: an embedded file and a `sqld` server (migrations and a round
 * trip through each), and the API's readiness following the server as it goes away and comes back.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { pingDatabase } from "../../core/db/database.ts";
import { consumerOffsets, tenants } from "../../core/db/schema/index.ts";
import { waitFor } from "../../dev/net.ts";
import { type SqldServer, startSqld } from "../../dev/sqld.ts";
import { applyMigrations } from "../../platform/db/migrate.ts";
import { openDatabase } from "../../platform/db/open.ts";
import { startService } from "../support/processes.ts";

const dir = mkdtempSync(join(tmpdir(), "gridpulse-libsql-"));
const servers: SqldServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.dispose()));
  rmSync(dir, { recursive: true, force: true });
});

async function roundTrip(url: string) {
  const { db, close } = await openDatabase({ url });
  try {
    await applyMigrations(db);
    await pingDatabase(db);
    await db.insert(tenants).values({ id: "tenant-a", name: "Αθήνα Energy" });
    await db.insert(consumerOffsets).values({
      consumerGroup: "g",
      topic: "telemetry.aggregates.v1",
      partition: 0,
      nextOffset: "9223372036854775807",
      updatedAtMs: 1,
    });
    const [tenant] = await db.select().from(tenants).where(eq(tenants.id, "tenant-a"));
    const [offset] = await db.select().from(consumerOffsets);
    return { tenant, offset };
  } finally {
    close();
  }
}

describe("libSQL", () => {
  it("round-trips through an embedded file", async () => {
    const { tenant, offset } = await roundTrip(`file:${join(dir, "embedded.db")}`);
    expect(tenant?.name).toBe("Αθήνα Energy");
    expect(offset?.nextOffset).toBe("9223372036854775807");
  });

  it("round-trips through a sqld server, and the data is there for a new connection", async () => {
    const server = await startSqld();
    servers.push(server);
    const { tenant, offset } = await roundTrip(server.url);
    expect(tenant?.name).toBe("Αθήνα Energy");
    expect(offset?.nextOffset).toBe("9223372036854775807");

    await server.stop();
    await server.start();
    const { db, close } = await openDatabase({ url: server.url });
    const rows = await db.select().from(tenants);
    close();
    expect(rows.map((r) => r.id)).toEqual(["tenant-a"]);
  });

  it("API /health/ready turns 503 when sqld goes away and 200 when it returns", async () => {
    const server = await startSqld();
    servers.push(server);
    const api = await startService("api/node.ts", {
      DATABASE_URL: server.url,
      READINESS_TIMEOUT_MS: "1000",
    });
    try {
      const ready = await fetch(`${api.url}/health/ready`);
      expect(ready.status).toBe(200);
      expect(
        ((await ready.json()) as { checks: { database: { status: string } } }).checks.database
          .status,
      ).toBe("up");

      await server.stop();
      const down = await waitFor(
        "503 from /health/ready",
        async () => {
          const res = await fetch(`${api.url}/health/ready`);
          return res.status === 503 ? res : undefined;
        },
        { timeoutMs: 10_000 },
      );
      const body = (await down.json()) as {
        error: {
          code: string;
          message: string;
          details: { checks: { database: { status: string; reason: string } } };
        };
      };
      expect(body.error.code).toBe("not_ready");
      expect(body.error.details.checks.database.status).toBe("down");
      expect(body.error.details.checks.database.reason.length).toBeGreaterThan(0);
      expect(body.error.message).toMatch(/^not ready: database: /);
      // Liveness does not depend on the database.
      expect((await fetch(`${api.url}/health/live`)).status).toBe(200);

      await server.start();
      await waitFor(
        "200 from /health/ready",
        async () => (await fetch(`${api.url}/health/ready`)).status === 200,
        {
          timeoutMs: 10_000,
        },
      );
    } finally {
      expect(await api.stop("SIGTERM")).toBe(0);
    }
  });
});
