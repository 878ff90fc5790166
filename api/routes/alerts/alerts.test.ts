import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { AlertState, AlertStatus } from "../../../core/alerts/evaluate.ts";
import type { Database } from "../../../core/db/database.ts";
import { alertHistory, alerts } from "../../../core/db/schema/index.ts";
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
    expect(await ids("?ruleId=rul_0000000000000000&status=firing")).toEqual(["00000000000000a1"]);
    expect(await ids("?ruleId=rul_0000000000000000&status=active")).toEqual([
      "00000000000000a1",
      "00000000000000a2",
    ]);
    expect(await ids("?ruleId=rul_0000000000000000")).toHaveLength(3);
    expect(await ids("?ruleId=rul_1111111111111111")).toEqual([]);
    expect(await ids("?ruleId=&status=firing")).toEqual(["00000000000000a1"]);
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
    const [row] = await h.db.select().from(alerts).where(eq(alerts.id, "00000000000000a1"));
    expect(row?.acknowledgedAtMs).toBe(now);
    // A resolved alert cannot be acknowledged.
    const resolved = await h.call("/v1/alerts/00000000000000a3/acknowledge", key, {
      method: "POST",
    });
    expect(resolved.status).toBe(409);
  });

  it("pages by cursor, newest episode first: alerts that begin or change during a walk shift no page", async () => {
    const h = await createHarness();
    const { key, tenantId } = await h.tenant();
    let n = 0;
    // Each alert's episode begins a second after the previous one's.
    const begin = async () => {
      const id = (++n).toString(16).padStart(16, "0");
      h.clock.nowMs += 1000;
      await seedAlert(h.db, tenantId, id, "firing", h.clock.nowMs);
      return id;
    };
    const before: string[] = [];
    for (let i = 0; i < 11; i++) before.push(await begin());
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `?limit=3${cursor ? `&cursor=${cursor}` : ""}`;
      const [res] = await Promise.all([
        h.call(`/v1/alerts${query}`, key),
        pages < 3 ? begin() : Promise.resolve(""),
      ]);
      expect(res.status).toBe(200);
      const page = (await res.json()) as {
        data: Alert[];
        hasMore: boolean;
        nextCursor: string | null;
      };
      expect(page.data.length).toBeLessThanOrEqual(3);
      expect(page.hasMore).toBe(page.nextCursor !== null);
      seen.push(...page.data.map((a) => a.id));
      cursor = page.nextCursor;
      pages++;
      // The evaluator rewrites the oldest alert (new value, new update time) while the walk runs:
      // it keeps its place, keyed by when its episode began.
      await h.db
        .update(alerts)
        .set({ updatedAtMs: h.clock.nowMs + pages, status: "firing" })
        .where(eq(alerts.id, before[0] as string));
    } while (cursor !== null && pages < 50);
    expect(cursor).toBeNull();
    expect(new Set(seen).size).toBe(seen.length);
    const order = seen.filter((id) => before.includes(id));
    expect(order).toEqual([...before].reverse());
    expect((await h.call("/v1/alerts?cursor=zzz", key)).status).toBe(400);
    expect((await h.call("/v1/alerts?limit=501", key)).status).toBe(400);
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

describe("/v1/alerts/history", () => {
  type Entry = {
    id: string;
    ruleName: string;
    status: string;
    slo: { id: string; definition: { name: string } } | null;
    firedAt: string;
    resolvedAt: string | null;
  };
  type Page = { data: Entry[]; hasMore: boolean; nextCursor: string | null };

  it("keeps a deleted SLO's episodes, with the SLO as it was; time range, filters and cursor paging; per tenant", async () => {
    const h = await createHarness();
    const { key, tenantId } = await h.tenant();
    const other = await h.tenant("B");
    const created = await h.call("/v1/slos", key, {
      method: "POST",
      json: {
        name: "checkout availability",
        service: "checkout",
        sli: { kind: "availability" },
        objective: 0.999,
        window: { kind: "rolling", days: 30 },
      },
    });
    expect(created.status).toBe(201);
    const slo = (await created.json()) as { id: string };
    const t0 = Date.UTC(2026, 10, 1);
    // Episode `i` fires at t0 + i hours, as the evaluator writes it (resolved 10 min later, but the 5th).
    const episode = async (i: number) => {
      const firedAtMs = t0 + i * 3_600_000;
      const fingerprint = (0xb0 + i).toString(16).padStart(16, "0");
      await h.db.insert(alertHistory).values({
        id: `${fingerprint}-${firedAtMs}`,
        tenantId,
        fingerprint,
        ruleId: `slo:${slo.id}:page-fast`,
        ruleName: "SloErrorBudgetBurn",
        rule: {
          rule: {
            id: `slo:${slo.id}:page-fast`,
            name: "SloErrorBudgetBurn",
            kind: "slo_burn",
            severity: "page",
            params: { sloId: slo.id, service: "checkout", tier: "page-fast" },
            for: 0,
            keep_firing_for: 0,
            no_data: "keep_state",
            labels: {},
            annotations: {},
          },
          slo: { id: slo.id, definition: { name: "checkout availability", objective: 0.999 } },
        },
        severity: "page",
        status: i !== 4 ? "resolved" : "firing",
        labels: { alertname: "SloErrorBudgetBurn", severity: "page", slo_id: slo.id },
        annotations: {},
        value: 15,
        activeAtMs: firedAtMs,
        firedAtMs,
        resolvedAtMs: i !== 4 ? firedAtMs + 600_000 : null,
        updatedAtMs: firedAtMs,
      });
    };
    for (let i = 0; i < 5; i++) await episode(i);
    expect((await h.call(`/v1/slos/${slo.id}`, key, { method: "DELETE" })).status).toBe(204);
    const get = async (query: string, k = key) => {
      const res = await h.call(`/v1/alerts/history${query}`, k);
      expect(res.status).toBe(200);
      return (await res.json()) as Page;
    };
    const all = await get("");
    expect(all.data.map((e) => e.status)).toEqual([
      "firing",
      "resolved",
      "resolved",
      "resolved",
      "resolved",
    ]);
    expect(all.data[1]).toMatchObject({
      ruleName: "SloErrorBudgetBurn",
      slo: { id: slo.id, definition: { name: "checkout availability" } },
    });
    expect((await get(`?sloId=${slo.id}&status=resolved`)).data).toHaveLength(4);
    expect((await get("?sloId=slo_other")).data).toEqual([]);
    // Overlapping [1h05, 3h): the episode of 1h (resolved at 1h10) and the one of 2h.
    const range = await get(
      `?from=${new Date(t0 + 3_900_000).toISOString()}&to=${t0 + 3 * 3_600_000}`,
    );
    expect(range.data.map((e) => e.firedAt)).toEqual([
      new Date(t0 + 2 * 3_600_000).toISOString(),
      new Date(t0 + 3_600_000).toISOString(),
    ]);
    // Paging: 2 + 2 + 1, no entry twice, while episodes that fire later are recorded.
    const seen: string[] = [];
    let cursor: string | null = "";
    let pages = 0;
    while (cursor !== null) {
      const page = await get(`?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.hasMore).toBe(page.nextCursor !== null);
      seen.push(...page.data.map((e) => e.id));
      cursor = page.nextCursor;
      pages++;
      await episode(9 + pages);
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(all.data.map((e) => e.id));
    expect((await get("?limit=3")).data.map((e) => e.firedAt)).toEqual(
      [12, 11, 10].map((i) => new Date(t0 + i * 3_600_000).toISOString()),
    );
    // Another tenant sees none of it; bad input is a 400.
    expect((await get("", other.key)).data).toEqual([]);
    expect((await h.call("/v1/alerts/history?cursor=nope!", key)).status).toBe(400);
    expect((await h.call(`/v1/alerts/history?from=${t0}&to=${t0}`, key)).status).toBe(400);
  });
});
