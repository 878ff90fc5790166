import { describe, expect, it } from "vitest";
import { ConfigError } from "../../core/config/env.ts";
import { defaultRetryScheduleMs } from "../../core/notify/retry.ts";
import { disableAfterMs, loadNotifyConfig } from "./config.ts";

describe("notification config", () => {
  it("defaults: no allowlist, the default schedule, TTL set", () => {
    const c = loadNotifyConfig({});
    expect(c.NOTIFY_OUTBOUND_ALLOWLIST).toEqual({ cidrs: [], hosts: [] });
    expect(c.NOTIFY_RETRY_SCHEDULE).toEqual(defaultRetryScheduleMs);
    expect(c.NOTIFY_PUSH_TTL_S).toBe(86_400);
    expect(c.NOTIFY_PUSH_HOSTS).toEqual([]);
  });

  it("parses settings and names every bad variable", () => {
    const c = loadNotifyConfig({
      NOTIFY_OUTBOUND_ALLOWLIST: "127.0.0.1/32,hooks.internal:8443",
      NOTIFY_RETRY_SCHEDULE: "0,50ms,100ms",
      NOTIFY_PUSH_HOSTS: "push.example.net,*.push.corp",
    });
    expect(c.NOTIFY_OUTBOUND_ALLOWLIST.hosts).toEqual([{ host: "hooks.internal", port: 8443 }]);
    expect(c.NOTIFY_RETRY_SCHEDULE).toEqual([0, 50, 100]);
    expect(c.NOTIFY_PUSH_HOSTS).toEqual(["push.example.net", "*.push.corp"]);
    let error: unknown;
    try {
      loadNotifyConfig({
        NOTIFY_OUTBOUND_ALLOWLIST: "10.0.0.0/99",
        NOTIFY_RETRY_SCHEDULE: "soon",
        VAPID_SUBJECT: "ops@example.com",
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join("\n");
    expect(problems).toMatch(/NOTIFY_OUTBOUND_ALLOWLIST/);
    expect(problems).toMatch(/NOTIFY_RETRY_SCHEDULE/);
    expect(problems).toMatch(/VAPID_SUBJECT/);
  });
});

describe("dispatcher settings", () => {
  it("defaults, the millisecond disable period, and a lease longer than the deadlines", () => {
    const c = loadNotifyConfig({});
    expect([c.NOTIFY_CONCURRENCY, c.NOTIFY_POLL_INTERVAL_MS, c.NOTIFY_LEASE_MS]).toEqual([
      32, 200, 60_000,
    ]);
    expect(disableAfterMs(c)).toBe(120 * 3_600_000);
    expect(disableAfterMs(loadNotifyConfig({ NOTIFY_ENDPOINT_DISABLE_AFTER_MS: "500" }))).toBe(500);
    expect(
      loadNotifyConfig({ NOTIFY_EXTERNAL_URL: "https://gp.example/" }).NOTIFY_EXTERNAL_URL,
    ).toBe("https://gp.example");
    expect(() => loadNotifyConfig({ NOTIFY_LEASE_MS: "1000" })).toThrow(/NOTIFY_LEASE_MS/);
  });
});
