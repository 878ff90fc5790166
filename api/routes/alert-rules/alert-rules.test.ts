import { describe, expect, it } from "vitest";
import { createHarness } from "../../testing/harness.ts";

const priceRule = {
  kind: "market_price",
  name: "Electricity above 30 cents",
  severity: "ticket",
  labels: {},
  annotations: { summary: "electricity price high" },
  params: { carrier: "electricity", condition: { op: "above", thresholdEurPerKwh: 0.3 } },
};

type Rule = { id: string; enabled: boolean; rule: Record<string, unknown> };
type ErrorBody = { error: { code: string; details: { path: string; message: string }[] } };

describe("/v1/alert-rules", () => {
  it("creates, lists, gets, replaces (with enabled) and deletes", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const created = await h.call("/v1/alert-rules", key, { method: "POST", json: priceRule });
    expect(created.status).toBe(201);
    const rule = (await created.json()) as Rule;
    expect(rule.id).toMatch(/^rul_/);
    expect(rule.enabled).toBe(true);
    expect(rule.rule).toMatchObject({ ...priceRule, id: rule.id, for: 0, no_data: "keep_state" });
    const list = (await (await h.call("/v1/alert-rules", key)).json()) as { data: Rule[] };
    expect(list.data.map((r) => r.id)).toEqual([rule.id]);
    const replaced = await h.call(`/v1/alert-rules/${rule.id}`, key, {
      method: "PUT",
      json: { ...priceRule, severity: "page", enabled: false },
    });
    expect(replaced.status).toBe(200);
    const after = (await replaced.json()) as Rule;
    expect(after.enabled).toBe(false);
    expect(after.rule.severity).toBe("page");
    expect(after.rule).not.toHaveProperty("enabled");
    expect((await h.call(`/v1/alert-rules/${rule.id}`, key)).status).toBe(200);
    expect((await h.call(`/v1/alert-rules/${rule.id}`, key, { method: "DELETE" })).status).toBe(
      204,
    );
    expect((await h.call(`/v1/alert-rules/${rule.id}`, key)).status).toBe(404);
  });

  it("400 with field paths for invalid rules and unknown SLO references", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const bad = await h.call("/v1/alert-rules", key, {
      method: "POST",
      json: { ...priceRule, severity: "urgent", params: { carrier: "coal", condition: {} } },
    });
    expect(bad.status).toBe(400);
    const paths = ((await bad.json()) as ErrorBody).error.details.map((d) => d.path);
    expect(paths).toEqual(expect.arrayContaining(["body.severity", "body.params.carrier"]));
    const withId = await h.call("/v1/alert-rules", key, {
      method: "POST",
      json: { ...priceRule, id: "mine" },
    });
    expect(withId.status).toBe(400);
    const burn = {
      kind: "slo_burn",
      name: "burn",
      severity: "page",
      labels: {},
      annotations: {},
      params: { sloId: "slo_0000000000000000", service: "edge-api", tier: "page-fast" },
    };
    const missing = await h.call("/v1/alert-rules", key, { method: "POST", json: burn });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as ErrorBody).error.details[0]?.path).toBe("body.params.sloId");
    // An SLO of the same tenant: the tier must be one of its tiers.
    const slo = (await (
      await h.call("/v1/slos", key, {
        method: "POST",
        json: {
          name: "avail",
          service: "edge-api",
          sli: { kind: "availability" },
          objective: 0.999,
          window: { kind: "rolling", days: 30 },
        },
      })
    ).json()) as { id: string; tiers: { name: string }[] };
    const tier = slo.tiers[0]?.name as string;
    const wrongTier = await h.call("/v1/alert-rules", key, {
      method: "POST",
      json: { ...burn, params: { sloId: slo.id, service: "edge-api", tier: "nope" } },
    });
    expect(((await wrongTier.json()) as ErrorBody).error.details[0]?.path).toBe("body.params.tier");
    const ok = await h.call("/v1/alert-rules", key, {
      method: "POST",
      json: { ...burn, params: { sloId: slo.id, service: "edge-api", tier } },
    });
    expect(ok.status).toBe(201);
    // Another tenant cannot point a rule at this SLO.
    const other = await h.tenant("B");
    const foreign = await h.call("/v1/alert-rules", other.key, {
      method: "POST",
      json: { ...burn, params: { sloId: slo.id, service: "edge-api", tier } },
    });
    expect(foreign.status).toBe(400);
  });

  it("needs the write scope to change rules", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const reader = (await (
      await h.call("/v1/api-keys", key, { method: "POST", json: { name: "r", scopes: ["read"] } })
    ).json()) as { key: string };
    expect((await h.call("/v1/alert-rules", reader.key)).status).toBe(200);
    const denied = await h.call("/v1/alert-rules", reader.key, { method: "POST", json: priceRule });
    expect(denied.status).toBe(403);
  });
});
