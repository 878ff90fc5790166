import { describe, expect, it } from "vitest";
import type { AlertState, AlertStatus } from "../../../core/alerts/evaluate.ts";
import type { Database } from "../../../core/db/database.ts";
import { alerts } from "../../../core/db/schema/index.ts";
import { createHarness } from "../../testing/harness.ts";

type Alert = { id: string; status: string; acknowledgedAt: string | null; acknowledgedBy: string };

/** An alert row as the stream worker's evaluator leaves it. */
async function seedAlert(
  db: Database,
  tenantId: string,
  fingerprint: string,
  status: AlertStatus,
  nowMs: number,
) {
  const state: AlertState = {
    fingerprint,
    ruleId: "rul_0000000000000000",
    status,
    labels: { alertname: "burn", severity: "page", slo_id: "slo_x" },
    annotations: { summary: "burning" },
    value: 14.4,
    activeAtMs: nowMs - 60_000,
    firedAtMs: status === "pending" ? null : nowMs - 30_000,
    resolvedAtMs: status === "resolved" ? nowMs : null,
    keepFiringSinceMs: null,
    edge: false,
    acknowledgedAtMs: null,
    acknowledgedBy: null,
  };
  await db.insert(alerts).values({
    id: fingerprint,
    tenantId,
    ruleId: state.ruleId,
    status,
    state,
    acknowledgedAtMs: null,
    acknowledgedBy: null,
    updatedAtMs: nowMs,
  });
}

describe("/v1/alerts", () => {
  it("lists by status, gets one, and acknowledges an active alert once", async () => {
    const h = await createHarness();
    const { key, keyId, tenantId } = await h.tenant();
    const now = h.clock.nowMs;
    await seedAlert(h.db, tenantId, "00000000000000a1", "firing", now);
    await seedAlert(h.db, tenantId, "00000000000000a2", "pending", now);
    await seedAlert(h.db, tenantId, "00000000000000a3", "resolved", now);
    const ids = async (query: string) =>
      ((await (await h.call(`/v1/alerts${query}`, key)).json()) as { data: Alert[] }).data
        .map((a) => a.id)
        .sort();
    expect(await ids("")).toEqual(["00000000000000a1", "00000000000000a2", "00000000000000a3"]);
    expect(await ids("?status=active")).toEqual(["00000000000000a1", "00000000000000a2"]);
    expect(await ids("?status=resolved")).toEqual(["00000000000000a3"]);
    expect((await h.call("/v1/alerts?status=bogus", key)).status).toBe(400);

    const one = await h.call("/v1/alerts/00000000000000a1", key);
    expect(await one.json()).toMatchObject({
      status: "firing",
      labels: { severity: "page" },
      value: 14.4,
      acknowledgedAt: null,
    });
    const acked = await h.call("/v1/alerts/00000000000000a1/acknowledge", key, { method: "POST" });
    expect(acked.status).toBe(200);
    expect(await acked.json()).toMatchObject({
      acknowledgedAt: new Date(now).toISOString(),
      acknowledgedBy: keyId,
    });
    // Idempotent: the first acknowledgement stays.
    h.clock.nowMs += 5000;
    const again = (await (
      await h.call("/v1/alerts/00000000000000a1/acknowledge", key, { method: "POST" })
    ).json()) as Alert;
    expect(again.acknowledgedAt).toBe(new Date(now).toISOString());
    const row = await h.db.query.alerts.findFirst({
      where: (a, { eq }) => eq(a.id, "00000000000000a1"),
    });
    expect(row?.acknowledgedAtMs).toBe(now);
    // A resolved alert cannot be acknowledged.
    const resolved = await h.call("/v1/alerts/00000000000000a3/acknowledge", key, {
      method: "POST",
    });
    expect(resolved.status).toBe(409);
  });

  it("another tenant's alerts are 404, and bad ids 400", async () => {
    const h = await createHarness();
    const owner = await h.tenant("A");
    const other = await h.tenant("B");
    await seedAlert(h.db, owner.tenantId, "00000000000000b1", "firing", h.clock.nowMs);
    expect((await h.call("/v1/alerts/00000000000000b1", other.key)).status).toBe(404);
    const ack = await h.call("/v1/alerts/00000000000000b1/acknowledge", other.key, {
      method: "POST",
    });
    expect(ack.status).toBe(404);
    const list = (await (await h.call("/v1/alerts", other.key)).json()) as { data: Alert[] };
    expect(list.data).toEqual([]);
    expect(
      ((await (await h.call("/v1/alerts/00000000000000b1", owner.key)).json()) as Alert)
        .acknowledgedAt,
    ).toBeNull();
    expect((await h.call("/v1/alerts/nope", owner.key)).status).toBe(400);
  });
});
