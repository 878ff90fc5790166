import { afterEach, describe, expect, it } from "vitest";
import { pushSubscriptions, silences } from "../../core/db/schema/index.ts";
import { hasWork, loadAllTenants, loadTenant } from "./tenant.ts";
import {
  fastBurnSlo,
  insertFastPolicy,
  insertRule,
  insertSlo,
  insertTenant,
  insertWebhook,
  openTestDatabase,
} from "./testing.ts";

const t0 = Date.UTC(2026, 10, 30, 12, 0, 0);
let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

describe("loading tenants", () => {
  it("the bulk read of every tenant gives each tenant's own snapshot, nothing of the others", async () => {
    const t = await openTestDatabase();
    cleanup = t.close;
    const a = await insertTenant(t.db, "ten_a");
    const b = await insertTenant(t.db, "ten_b");
    const idle = await insertTenant(t.db, "ten_idle");
    await insertSlo(t.db, a, "slo_a", fastBurnSlo("api"));
    await insertFastPolicy(t.db, a);
    await insertWebhook(t.db, a, "whe_a");
    await insertWebhook(t.db, a, "whe_a_off", 1);
    await insertRule(t.db, b, {
      id: "rul_b",
      name: "Slow",
      kind: "latency_threshold",
      severity: "ticket",
      params: { service: "api", quantile: "p99", window: "5m", thresholdMs: 500 },
    });
    await t.db.insert(silences).values([
      {
        id: "sil_active",
        tenantId: b,
        matchers: [{ name: "alertname", type: "=", value: "Slow" }],
        startsAtMs: t0 - 1000,
        endsAtMs: t0 + 1000,
        createdAtMs: 0,
      },
      {
        id: "sil_ended",
        tenantId: b,
        matchers: [{ name: "alertname", type: "=", value: "Slow" }],
        startsAtMs: t0 - 2000,
        endsAtMs: t0,
        createdAtMs: 0,
      },
    ]);
    await t.db.insert(pushSubscriptions).values({
      id: "psub_b",
      tenantId: b,
      endpoint: "https://push.example.test/b",
      p256dh: "k",
      auth: "a",
      filters: { severities: ["page"] },
      createdAtMs: 0,
    });
    await insertWebhook(t.db, idle, "whe_idle");

    const all = await loadAllTenants(t.db, t0);
    for (const id of [a, b]) expect(all.get(id)).toEqual(await loadTenant(t.db, id, t0));
    const snapA = all.get(a);
    expect(snapA?.rules.map((r) => r.id)).toEqual(["slo:slo_a:page", "slo:slo_a:ticket"]);
    expect(snapA?.webhookIds).toEqual(["whe_a"]);
    expect(snapA?.route).toMatchObject({ group_wait: 0, group_by: ["alertname", "slo_id"] });
    const snapB = all.get(b);
    expect(snapB?.rules.map((r) => r.id)).toEqual(["rul_b"]);
    expect(snapB?.silences.map((s) => s.id)).toEqual(["sil_active"]);
    expect(snapB?.push).toEqual([{ id: "psub_b", filters: { severities: ["page"] } }]);
    expect(snapB?.route.group_wait).toBe(10_000); // no policy row: the defaults
    // A tenant with only a webhook endpoint has nothing to evaluate.
    expect(
      [...all.values()]
        .filter(hasWork)
        .map((s) => s.tenantId)
        .sort(),
    ).toEqual([a, b]);
  });
});
