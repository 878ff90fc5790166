import { describe, expect, it } from "vitest";
import type { Notification } from "../../core/alerts/plan.ts";
import { maxPushPlaintextBytes, utf8Length } from "../../core/notify/push-message.ts";
import { disabledNotices, parseSecrets } from "./channels/webhook/webhook.store.ts";
import {
  OutboxPayloadError,
  parseOutboxPayload,
  renderPush,
  renderWebhookBody,
  safeOrigin,
} from "./render.ts";

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
      acknowledged: false,
    },
  ],
};
const ext = "https://gp.example";
const disabled = {
  type: "endpoint_disabled" as const,
  endpointId: "wh_1",
  url: "https://hooks.example",
  reason: "the endpoint answered 410 Gone",
  disabledAtMs: at,
};

describe("outbox payload parsing", () => {
  it("keeps a stored trace context of an alert payload, drops a malformed one", () => {
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    expect(parseOutboxPayload({ type: "alert", notification, traceparent })).toEqual({
      type: "alert",
      notification,
      traceparent,
    });
    expect(parseOutboxPayload({ type: "alert", notification, traceparent: "x" })).toEqual({
      type: "alert",
      notification,
    });
  });

  it("accepts the contract's three shapes, stored as JSON text or parsed", () => {
    expect(parseOutboxPayload(JSON.stringify({ type: "alert", notification }))).toEqual({
      type: "alert",
      notification,
    });
    expect(parseOutboxPayload({ type: "test" })).toEqual({ type: "test" });
    expect(parseOutboxPayload(JSON.stringify(disabled))).toEqual(disabled);
  });

  it("refuses anything else with a clear error", () => {
    const bad = [
      "{",
      "[]",
      { type: "nope" },
      { type: "alert" },
      { type: "alert", notification: { ...notification, alerts: [{ fingerprint: 1 }] } },
      { type: "alert", notification: { ...notification, status: "maybe" } },
      { type: "endpoint_disabled", endpointId: "x" },
    ];
    for (const b of bad) expect(() => parseOutboxPayload(b)).toThrow(OutboxPayloadError);
    expect(() => parseOutboxPayload({ type: "nope" })).toThrow(/unknown payload type "nope"/);
  });
});

describe("webhook rendering", () => {
  it("renders the same bytes for the same row (every retry signs the same body)", () => {
    const payload = { type: "alert" as const, notification };
    const a = renderWebhookBody(payload, { id: "wh_1", format: "gridpulse" }, at, ext);
    expect(renderWebhookBody(payload, { id: "wh_1", format: "gridpulse" }, at, ext)).toBe(a);
    expect(JSON.parse(a)).toMatchObject({
      type: "alert.firing",
      timestamp: new Date(at).toISOString(),
      data: { groupKey: "g1", receiver: "wh_1" },
    });
    const am = JSON.parse(
      renderWebhookBody(payload, { id: "wh_1", format: "alertmanager" }, at, ext),
    );
    expect(am).toMatchObject({ version: "4", receiver: "wh_1", groupKey: "g1" });
  });

  it("renders test sends and owner notices as labelled info alerts; refuses unknown formats", () => {
    const test = JSON.parse(
      renderWebhookBody({ type: "test" }, { id: "wh_2", format: "gridpulse" }, at, ext),
    );
    expect(test.data.alerts[0].labels).toMatchObject({ test: "true", severity: "info" });
    const notice = JSON.parse(
      renderWebhookBody(disabled, { id: "wh_2", format: "alertmanager" }, at, ext),
    );
    expect(notice.alerts[0].labels).toEqual({
      alertname: "GridpulseWebhookEndpointDisabled",
      severity: "info",
      endpoint_id: "wh_1",
    });
    expect(notice.alerts[0].annotations.summary).toContain("410 Gone");
    expect(() => renderWebhookBody({ type: "test" }, { id: "w", format: "xml" }, at, ext)).toThrow(
      OutboxPayloadError,
    );
  });
});

describe("push rendering", () => {
  it("takes urgency from severity and the topic from the group key; fits the record", () => {
    const r = renderPush({ type: "alert", notification }, "ps_1", at, ext);
    expect(r.urgency).toBe("normal");
    expect(r.topicKey).toBe("g1");
    expect(JSON.parse(r.payload)).toMatchObject({ title: "SloBurn: 1 firing", severity: "ticket" });
    const huge = {
      ...notification,
      alerts: Array(300).fill({
        ...notification.alerts[0],
        annotations: { summary: "é".repeat(50) },
      }),
    };
    const big = renderPush({ type: "alert", notification: huge }, "ps_1", at, ext);
    expect(utf8Length(big.payload)).toBeLessThanOrEqual(maxPushPlaintextBytes);
  });

  it("renders test and notice messages at low urgency", () => {
    expect(renderPush({ type: "test" }, "ps_1", at, ext)).toMatchObject({
      urgency: "low",
      topicKey: "test:ps_1",
    });
    const n = renderPush(disabled, "ps_1", at, ext);
    expect(n.urgency).toBe("low");
    expect(JSON.parse(n.payload).body).toContain("wh_1");
  });
});

describe("dispatcher helpers", () => {
  it("turns stored secrets into signer secrets (a null expiry is current)", () => {
    const stored = JSON.stringify([
      { secret: "whsec_a", createdAtMs: 1, expiresAtMs: 500 },
      { secret: "whsec_b", createdAtMs: 2, expiresAtMs: null },
      { nope: true },
    ]);
    expect(parseSecrets(stored)).toEqual([
      { secret: "whsec_a", expiresAtMs: 500 },
      { secret: "whsec_b" },
    ]);
    expect(parseSecrets("not json")).toEqual([]);
  });

  it("keys owner notices by endpoint and disable time, one row per target", () => {
    const rows = disabledNotices(
      { tenantId: "t", endpointId: "wh_1", url: "https://h", reason: "r", disabledAtMs: 42 },
      { endpointIds: ["wh_2"], subscriptionIds: ["ps_1", "ps_2"] },
    );
    expect(rows.map((r) => [r.channel, r.targetId, r.idempotencyKey])).toEqual([
      ["webhook", "wh_2", "endpoint_disabled:wh_1:42"],
      ["push", "ps_1", "endpoint_disabled:wh_1:42"],
      ["push", "ps_2", "endpoint_disabled:wh_1:42"],
    ]);
    expect(new Set(rows.map((r) => r.id)).size).toBe(3);
  });

  it("names only a URL's origin", () => {
    expect(safeOrigin("https://hooks.example:8443/t/SECRET?x=1")).toBe(
      "https://hooks.example:8443",
    );
    expect(safeOrigin("::")).toBe("(invalid URL)");
  });
});
