/**
 * evaluate + plan together, as stage 2 will run them: an outage burns an SLO, the pages notify after
 * group_wait, the ticket of the same SLO stays quiet while a page fires (inhibited), the outage ends,
 * the resolved notifications follow, and the still-burning ticket surfaces.
 */
import { describe, expect, it } from "vitest";
import { sloDefinitionSchema } from "../slo/definition.ts";
import { computeSloStatus, sloCountWindows, type WindowCounts } from "../slo/status.ts";
import { type AlertState, evaluate } from "./evaluate.ts";
import { type Notification, type NotificationGroup, plan, routeSchema } from "./plan.ts";
import { sloBurnRules } from "./slo-rules.ts";

const slo = sloDefinitionSchema.parse({
  name: "edge availability",
  service: "edge-api",
  sli: { kind: "availability" },
  objective: 0.999,
  window: { kind: "rolling", days: 30 },
});
const rules = sloBurnRules({ id: "slo-1", definition: slo });
const route = routeSchema.parse({
  group_by: ["slo_id", "severity"],
  group_wait: 10_000,
  group_interval: 60_000,
});
const T0 = Date.UTC(2026, 10, 30, 12);

/** 100 requests a minute; during the outage minutes half of them fail. */
function inputsAt(now: number, outage: [number, number]) {
  const counts = new Map<string, WindowCounts>();
  for (const w of sloCountWindows(slo, now)) {
    let total = 0;
    let good = 0;
    const step = w.granularity === "minute" ? 60_000 : 3_600_000;
    for (let t = w.fromMs; t < w.toMs && t <= now; t += step) {
      const end = Math.min(t + step, now); // the current bucket holds only what has happened
      const minutes = (end - t) / 60_000;
      const outageMinutes = Math.max(0, Math.min(end, outage[1]) - Math.max(t, outage[0])) / 60_000;
      total += 100 * minutes;
      good += 100 * minutes - 50 * outageMinutes;
    }
    counts.set(w.key, { total, good });
  }
  return { slo: [{ sloId: "slo-1", tiers: computeSloStatus(slo, now, counts).tiers }] };
}

describe("SLO outage through evaluate and plan", () => {
  it("pages, batches the second page tier, inhibits the ticket while paging, resolves", () => {
    const outage: [number, number] = [T0 + 10 * 60_000, T0 + 40 * 60_000];
    let states: AlertState[] = [];
    let groups: NotificationGroup[] = [];
    const sent: Notification[] = [];
    for (let now = T0; now <= T0 + 3 * 3_600_000; now += 10_000) {
      const evaluated = evaluate({ now, rules, inputs: inputsAt(now, outage), states });
      states = evaluated.states;
      const planned = plan({ now, alerts: states, groups, route, silences: [] });
      groups = planned.groups;
      sent.push(...planned.notifications);
    }
    expect(
      sent.map(
        (n) => `${n.status} ${n.alerts.map((a) => `${a.labels.tier}:${a.status}`).join(",")}`,
      ),
    ).toEqual([
      // the 1h/5m page first; the 6h/30m page joins at the next group_interval
      "firing page-fast:firing",
      "firing page-fast:firing,page-slow:firing",
      // after the outage the fast page clears first (its 5m window), then the slow one (30m)
      "firing page-slow:firing,page-fast:resolved",
      "resolved page-slow:resolved",
      // the ticket (3d/6h) still burns: inhibited while a page fired, it surfaces once none does
      "firing ticket:firing",
    ]);
    const fired = sent[0] as Notification;
    const resolved = sent[3] as Notification;
    // detection within a minute of the outage start (5m short window at 50% errors), then group_wait
    expect(fired.atMs - outage[0]).toBeLessThanOrEqual(2 * 60_000);
    expect(resolved.atMs).toBeGreaterThan(outage[1]);
    expect(new Set(sent.map((n) => n.idempotencyKey)).size).toBe(5);
    // The ticket fired during the outage, yet no notification carried it while a page fired.
    const ticket = states.find((s) => s.labels.tier === "ticket");
    expect(ticket?.firedAtMs).toBeLessThan(resolved.atMs);
    expect((sent[4] as Notification).atMs).toBeGreaterThanOrEqual(resolved.atMs);
  });
});
