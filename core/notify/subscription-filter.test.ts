import { describe, expect, it } from "vitest";
import type { NotificationAlert } from "./payloads.ts";
import { filterMatches, narrowFilter, notificationFilterSchema } from "./subscription-filter.ts";

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

  it("filters subsidy alerts by region through the program's regions", () => {
    const subsidy = (programRegions: string | undefined): NotificationAlert => ({
      ...alert({
        alertname: "Subsidy",
        severity: "info",
        market_kind: "subsidy",
        program: "P",
        program_version: "v",
      }),
      annotations: {
        matched_regions: "Attica",
        ...(programRegions === undefined ? {} : { program_regions: programRegions }),
      },
    });
    const atticaOnly = subsidy(JSON.stringify(["Attica"]));
    expect(filterMatches({ regions: ["Heraklion"] }, atticaOnly)).toBe(false);
    expect(filterMatches({ regions: ["Heraklion", "Attica"] }, atticaOnly)).toBe(true);
    expect(filterMatches({ regions: [] }, atticaOnly)).toBe(true);
    // Compared trimmed and case-insensitively, as subsidy alerts match regions.
    expect(filterMatches({ regions: ["attica"] }, atticaOnly)).toBe(true);
    const spaced = subsidy(JSON.stringify([" CHANIA ", "Κρήτη"]));
    expect(filterMatches({ regions: ["Chania"] }, spaced)).toBe(true);
    expect(filterMatches({ regions: ["ΚΡΉΤΗ"] }, spaced)).toBe(true);
    expect(filterMatches({ regions: ["Heraklion"] }, spaced)).toBe(false);
    // A program for all regions passes every region filter; a region named "all" is only itself.
    expect(filterMatches({ regions: ["Heraklion"] }, subsidy("all"))).toBe(true);
    expect(filterMatches({ regions: ["Heraklion"] }, subsidy(JSON.stringify(["all"])))).toBe(false);
    // The other criteria still apply.
    expect(filterMatches({ regions: ["Attica"], marketKinds: ["price"] }, atticaOnly)).toBe(false);
    expect(filterMatches({ regions: ["Attica"], severities: ["page"] }, atticaOnly)).toBe(false);
  });

  it("validates filters strictly", () => {
    expect(notificationFilterSchema.safeParse({ severities: ["urgent"] }).success).toBe(false);
    expect(notificationFilterSchema.safeParse({ sloz: [] }).success).toBe(false);
    expect(notificationFilterSchema.parse({ marketKinds: ["price"] })).toEqual({
      marketKinds: ["price"],
    });
  });
});

describe("narrowing a subscriber's filter to the token's bounds", () => {
  it("open bounds pass the request through; open requests take the bounds", () => {
    expect(narrowFilter({}, { severities: ["page"] })).toEqual({
      ok: true,
      filter: { severities: ["page"] },
    });
    expect(narrowFilter({ severities: ["page", "ticket"], regions: ["attica"] }, {})).toEqual({
      ok: true,
      filter: { severities: ["page", "ticket"], regions: ["attica"] },
    });
  });

  it("a subset of the bounds is kept; anything outside is refused with its path", () => {
    const bounds = { slos: ["slo_a", "slo_b"], severities: ["page" as const] };
    expect(narrowFilter(bounds, { slos: ["slo_b", "slo_b"] })).toEqual({
      ok: true,
      filter: { slos: ["slo_b"], severities: ["page"] },
    });
    expect(narrowFilter(bounds, { slos: ["slo_a", "slo_c"], severities: ["info"] })).toEqual({
      ok: false,
      problems: [
        { path: "slos.1", message: "not allowed by this token (slo_c)" },
        { path: "severities.0", message: "not allowed by this token (info)" },
      ],
    });
  });

  it("the narrowed filter never matches an alert the bounds would not", () => {
    const bounds = { severities: ["page" as const], regions: ["attica"] };
    const narrowed = narrowFilter(bounds, { marketKinds: ["price"] });
    if (!narrowed.ok) throw new Error("refused");
    for (const a of [slo, price, alert({ severity: "page", region: "crete" })])
      if (filterMatches(narrowed.filter, a)) expect(filterMatches(bounds, a)).toBe(true);
    expect(filterMatches(narrowed.filter, alert({ severity: "page", region: "attica" }))).toBe(
      true,
    );
  });
});
