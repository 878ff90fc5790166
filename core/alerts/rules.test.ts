import { describe, expect, it } from "vitest";
import { routeSchema } from "./plan.ts";
import { alertRuleSchema } from "./rules.ts";

const price = (over: Record<string, unknown> = {}) => ({
  id: "p1",
  name: "Price",
  kind: "market_price",
  severity: "info",
  params: { carrier: "electricity", condition: { op: "above", thresholdEurPerKwh: 0.3 } },
  ...over,
});

describe("rule schema", () => {
  it("fills defaults", () => {
    expect(alertRuleSchema.parse(price())).toMatchObject({
      for: 0,
      keep_firing_for: 0,
      no_data: "keep_state",
      labels: {},
      annotations: {},
    });
    const change = alertRuleSchema.parse(
      price({
        params: { carrier: "natural_gas", condition: { op: "change_pct", window: "7d", pct: 10 } },
      }),
    );
    expect(change.kind === "market_price" && change.params.condition).toMatchObject({
      direction: "either",
    });
  });

  it.each([
    ["a negative for", { for: -1 }],
    ["a fractional keep_firing_for", { keep_firing_for: 1.5 }],
    ["more than 7 days of for", { for: 8 * 86_400_000 }],
    ["a bad label name", { labels: { "bad-name": "x" } }],
    ["a severity label", { labels: { severity: "page" } }],
    ["an unknown severity", { severity: "critical" }],
    ["an id with spaces", { id: "a b" }],
    ["an unknown kind", { kind: "cpu" }],
    ["an unknown field", { extra: 1 }],
    [
      "an unknown carrier",
      { params: { carrier: "coal", condition: { op: "above", thresholdEurPerKwh: 1 } } },
    ],
    [
      "a bad window",
      { params: { carrier: "electricity", condition: { op: "change_pct", window: "1w", pct: 5 } } },
    ],
    [
      "a zero threshold",
      { params: { carrier: "electricity", condition: { op: "below", thresholdEurPerKwh: 0 } } },
    ],
  ])("rejects %s", (_what, over) => {
    expect(alertRuleSchema.safeParse(price(over)).success).toBe(false);
  });
});

describe("route schema", () => {
  it("has Alertmanager's defaults and bounds, except pages: own groups, 10 s group_wait, escalation at once", () => {
    expect(routeSchema.parse({})).toEqual({
      id: "default",
      group_by: ["alertname", "severity"],
      group_wait: 10_000,
      group_interval: 300_000,
      repeat_interval: 14_400_000,
      send_resolved: true,
      escalate_immediately: true,
    });
    expect(routeSchema.safeParse({ group_interval: 0 }).success).toBe(false);
    expect(routeSchema.safeParse({ group_by: ["not-a-label"] }).success).toBe(false);
  });
});
