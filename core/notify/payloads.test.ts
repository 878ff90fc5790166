import { describe, expect, it } from "vitest";
import {
  alertmanagerPayload,
  commonPairs,
  gridpulsePayload,
  type NotificationGroup,
  testNotificationGroup,
  webhookBody,
} from "./payloads.ts";

const group: NotificationGroup = {
  groupKey: '{}:{slo="checkout-availability"}',
  receiver: "ops-webhook",
  groupLabels: { slo: "checkout-availability" },
  externalURL: "https://gridpulse.example",
  alerts: [
    {
      fingerprint: "a1",
      status: "firing",
      labels: { alertname: "SloBurn", slo: "checkout-availability", severity: "page", tier: "1h" },
      annotations: { summary: "burning 14.4x", runbook: "r" },
      startsAt: "2026-11-30T12:00:00Z",
      generatorURL: "https://gridpulse.example/slos/1",
    },
    {
      fingerprint: "a2",
      status: "resolved",
      labels: { alertname: "SloBurn", slo: "checkout-availability", severity: "page", tier: "6h" },
      annotations: { summary: "burning 6x", runbook: "r" },
      startsAt: "2026-11-30T11:00:00Z",
      endsAt: "2026-11-30T12:05:00Z",
    },
  ],
};

describe("Alertmanager webhook v4", () => {
  it("has every field of version 4 with common labels and annotations", () => {
    const p = alertmanagerPayload(group);
    expect(Object.keys(p).sort()).toEqual(
      [
        "version",
        "groupKey",
        "truncatedAlerts",
        "status",
        "receiver",
        "groupLabels",
        "commonLabels",
        "commonAnnotations",
        "externalURL",
        "alerts",
      ].sort(),
    );
    expect(p).toMatchObject({
      version: "4",
      status: "firing",
      truncatedAlerts: 0,
      commonLabels: { alertname: "SloBurn", slo: "checkout-availability", severity: "page" },
      commonAnnotations: { runbook: "r" },
    });
    expect(p.alerts[0]).toEqual({
      status: "firing",
      labels: group.alerts[0]?.labels,
      annotations: group.alerts[0]?.annotations,
      startsAt: "2026-11-30T12:00:00Z",
      endsAt: "0001-01-01T00:00:00Z",
      generatorURL: "https://gridpulse.example/slos/1",
      fingerprint: "a1",
    });
    expect(p.alerts[1]).toMatchObject({ endsAt: "2026-11-30T12:05:00Z", generatorURL: "" });
  });

  it("truncates to maxAlerts and counts the rest; resolved when none fires", () => {
    const p = alertmanagerPayload(group, { maxAlerts: 1 });
    expect(p.alerts).toHaveLength(1);
    expect(p.truncatedAlerts).toBe(1);
    const resolved = alertmanagerPayload({ ...group, alerts: group.alerts.slice(1) });
    expect(resolved.status).toBe("resolved");
  });

  it("common pairs of nothing is empty", () => {
    expect(commonPairs([])).toEqual({});
  });
});

describe("gridpulse payload", () => {
  it("is a Standard Webhooks envelope typed by the group's status", () => {
    const p = gridpulsePayload(group, Date.parse("2026-11-30T12:05:01Z"));
    expect(p.type).toBe("alert.firing");
    expect(p.timestamp).toBe("2026-11-30T12:05:01.000Z");
    expect(p.data.alerts[0]).toMatchObject({ fingerprint: "a1", severity: "page" });
    expect(JSON.parse(webhookBody("gridpulse", group, 0)).type).toBe("alert.firing");
    expect(JSON.parse(webhookBody("alertmanager", group, 0)).version).toBe("4");
  });
});

describe("test notification", () => {
  it("is a labelled info alert in both formats", () => {
    const g = testNotificationGroup("ops", Date.parse("2026-11-30T12:00:00Z"), "https://g.example");
    expect(alertmanagerPayload(g).commonLabels).toMatchObject({ test: "true", severity: "info" });
    expect(gridpulsePayload(g, 0).data.alerts[0]?.startsAt).toBe("2026-11-30T12:00:00.000Z");
  });
});
