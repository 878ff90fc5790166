import { describe, expect, it } from "vitest";
import type { NotificationAlert } from "./payloads.ts";
import { filterMatches, notificationFilterSchema } from "./subscription-filter.ts";

const alert = (labels: Record<string, string>): NotificationAlert => ({
  fingerprint: "f",
  status: "firing",
  labels,
  annotations: {},
  startsAt: "2026-11-30T12:00:00Z",
});

const slo = alert({ slo_id: "slo_1", severity: "page" });
const price = alert({ market_kind: "price", region: "attica", severity: "info" });

describe("notification filter", () => {
  it("an empty filter takes everything", () => {
    expect(filterMatches({}, slo)).toBe(true);
    expect(filterMatches({ slos: [] }, price)).toBe(true);
  });

  it("filters by SLO, severity, market kind and region where the alert has the label", () => {
    expect(filterMatches({ slos: ["slo_1"] }, slo)).toBe(true);
    expect(filterMatches({ slos: ["slo_2"] }, slo)).toBe(false);
    expect(filterMatches({ slos: ["slo_2"] }, price)).toBe(true);
    expect(filterMatches({ severities: ["page"] }, slo)).toBe(true);
    expect(filterMatches({ severities: ["page"] }, price)).toBe(false);
    expect(filterMatches({ marketKinds: ["subsidy"] }, price)).toBe(false);
    expect(filterMatches({ marketKinds: ["price"], regions: ["attica"] }, price)).toBe(true);
    expect(filterMatches({ regions: ["crete"] }, price)).toBe(false);
    expect(filterMatches({ regions: ["crete"] }, slo)).toBe(true);
  });

  it("validates filters strictly", () => {
    expect(notificationFilterSchema.safeParse({ severities: ["urgent"] }).success).toBe(false);
    expect(notificationFilterSchema.safeParse({ sloz: [] }).success).toBe(false);
    expect(notificationFilterSchema.parse({ marketKinds: ["price"] })).toEqual({
      marketKinds: ["price"],
    });
  });
});
