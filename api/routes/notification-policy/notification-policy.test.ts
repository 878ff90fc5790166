import { describe, expect, it } from "vitest";
import { defaultInhibitRules } from "../../../core/alerts/suppression.ts";
import { notificationPolicies } from "../../../core/db/schema/index.ts";
import { createHarness } from "../../testing/harness.ts";

type Policy = {
  route: Record<string, unknown>;
  inhibitRules: unknown[] | null;
  effectiveInhibitRules: unknown[];
  isDefault: boolean;
};

describe("/v1/notification-policy", () => {
  it("serves the defaults until set, then the stored policy (one row per tenant)", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const other = await h.tenant("B");
    const initial = (await (await h.call("/v1/notification-policy", key)).json()) as Policy;
    expect(initial).toMatchObject({
      route: {
        id: "default",
        group_by: ["alertname", "severity"],
        group_wait: 10_000,
        send_resolved: true,
        escalate_immediately: true,
      },
      inhibitRules: null,
      effectiveInhibitRules: defaultInhibitRules,
      isDefault: true,
    });
    const put = await h.call("/v1/notification-policy", key, {
      method: "PUT",
      json: { route: { group_by: ["slo_id"], group_wait: 0, repeat_interval: 3_600_000 } },
    });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({
      route: { group_by: ["slo_id"], group_wait: 0, group_interval: 300_000 },
      isDefault: false,
    });
    const none = await h.call("/v1/notification-policy", key, {
      method: "PUT",
      json: { inhibitRules: [] },
    });
    expect(await none.json()).toMatchObject({
      route: { group_by: ["alertname", "severity"] },
      inhibitRules: [],
      effectiveInhibitRules: [],
    });
    expect(await h.db.select().from(notificationPolicies).all()).toHaveLength(1);
    // The other tenant still has the defaults.
    expect(
      ((await (await h.call("/v1/notification-policy", other.key)).json()) as Policy).isDefault,
    ).toBe(true);
  });

  it("400 with field paths for invalid routes and inhibit rules", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const res = await h.call("/v1/notification-policy", key, {
      method: "PUT",
      json: {
        route: { group_wait: -1, repeat_interval: 1, extra: true },
        inhibitRules: [
          { source_matchers: [], target_matchers: [{ name: "a", type: "?", value: "" }] },
        ],
      },
    });
    expect(res.status).toBe(400);
    const paths = (
      (await res.json()) as { error: { details: { path: string }[] } }
    ).error.details.map((d) => d.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "body.route.group_wait",
        "body.route.repeat_interval",
        "body.inhibitRules.0.source_matchers",
        "body.inhibitRules.0.target_matchers.0.type",
      ]),
    );
  });
});
