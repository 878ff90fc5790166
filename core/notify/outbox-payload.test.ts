import { describe, expect, it } from "vitest";
import type { Notification } from "../alerts/plan.ts";
import {
  notificationGroupOf,
  notificationSeverity,
  outboxRowId,
  pushMessageOf,
  pushUrgencyOf,
} from "./outbox-payload.ts";
import { pushPayload } from "./push-message.ts";

const at = Date.UTC(2026, 10, 30, 12);
const notification: Notification = {
  idempotencyKey: "k1",
  groupKey: "g1",
  routeId: "default",
  sequence: 1,
  atMs: at,
  status: "firing",
  reasons: ["firing"],
  groupLabels: { alertname: "SloBurn" },
  commonLabels: { alertname: "SloBurn" },
  commonAnnotations: {},
  alerts: [
    {
      fingerprint: "a",
      ruleId: "r1",
      status: "firing",
      labels: { alertname: "SloBurn", severity: "ticket" },
      annotations: { summary: "checkout burning 7x" },
      value: 7,
      startsAtMs: at - 60_000,
      endsAtMs: null,
      acknowledged: true,
    },
    {
      fingerprint: "b",
      ruleId: "r2",
      status: "resolved",
      labels: { alertname: "SloBurn", severity: "page" },
      annotations: { summary: "checkout burning 20x" },
      value: 0,
      startsAtMs: at - 600_000,
      endsAtMs: at - 1000,
      acknowledged: false,
    },
  ],
};

describe("outbox payloads", () => {
  it("derive the row id from channel, target and key only", () => {
    expect(outboxRowId("webhook", "wh_1", "k1")).toBe(outboxRowId("webhook", "wh_1", "k1"));
    expect(outboxRowId("webhook", "wh_1", "k1")).not.toBe(outboxRowId("push", "wh_1", "k1"));
    expect(outboxRowId("webhook", "wh_1", "k1")).toMatch(/^obx_[0-9a-f]{16}$/);
  });

  it("render a planned notification as a webhook group with RFC 3339 times and ack marks", () => {
    const group = notificationGroupOf(notification, "wh_1", "https://gp.example");
    expect(group.receiver).toBe("wh_1");
    expect(group.alerts[0]).toMatchObject({
      status: "firing",
      startsAt: "2026-11-30T11:59:00.000Z",
      labels: { acknowledged: "true" },
      generatorURL: "https://gp.example/v1/alerts/a",
    });
    expect(group.alerts[0]).not.toHaveProperty("endsAt");
    expect(group.alerts[1]?.endsAt).toBe("2026-11-30T11:59:59.000Z");
  });

  it("take the highest severity for push urgency and fit the push record", () => {
    expect(notificationSeverity(notification)).toBe("page");
    expect(pushUrgencyOf(notification)).toBe("high");
    const message = pushMessageOf(notification, "https://gp.example");
    expect(message.title).toBe("SloBurn: 1 firing");
    expect(message.body).toBe("▲ checkout burning 7x\n✓ checkout burning 20x");
    // Only the firing alert can be acknowledged from the notification.
    expect(message.alerts).toEqual(["a"]);
    const huge = { ...notification, alerts: Array(200).fill(notification.alerts[0]) };
    const hugeMessage = pushMessageOf(huge, "https://gp.example");
    expect(hugeMessage.alerts).toHaveLength(20);
    expect(pushPayload(hugeMessage).length).toBeLessThan(4000);
  });
});
