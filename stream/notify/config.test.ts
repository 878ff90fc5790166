import { describe, expect, it } from "vitest";
import webPush from "web-push";
import { ConfigError } from "../../core/config/env.ts";
import { defaultRetryScheduleMs } from "../../core/notify/retry.ts";
import { disableAfterMs, loadNotifyConfig, vapidConfigProblems } from "./config.ts";

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

describe("rules across variables", () => {
  const problemsOf = (env: Record<string, string>) => {
    try {
      loadNotifyConfig(env);
      return [];
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return [...(error as ConfigError).problems];
    }
  };

  it("the lease rule is reported even when another variable is invalid", () => {
    const problems = problemsOf({ NOTIFY_LEASE_MS: "1000", NOTIFY_PUSH_TTL_S: "abc" });
    expect(problems.map((p) => p.split(":")[0])).toEqual(["NOTIFY_PUSH_TTL_S", "NOTIFY_LEASE_MS"]);
    expect(problems[1]).toMatch(/must exceed NOTIFY_WEBHOOK_DEADLINE_MS/);
  });

  it("the lease rule waits for the deadlines it compares to be valid", () => {
    expect(problemsOf({ NOTIFY_LEASE_MS: "1000", NOTIFY_PUSH_DEADLINE_MS: "soon" })).toEqual([
      expect.stringMatching(/^NOTIFY_PUSH_DEADLINE_MS: /),
    ]);
  });
});

describe("VAPID pair without the database", () => {
  it("names the missing half, a bad encoding and halves of two pairs, never the private key", () => {
    const a = webPush.generateVAPIDKeys();
    const b = webPush.generateVAPIDKeys();
    expect(vapidConfigProblems({})).toEqual([]);
    expect(
      vapidConfigProblems({ VAPID_PUBLIC_KEY: a.publicKey, VAPID_PRIVATE_KEY: a.privateKey }),
    ).toEqual([]);
    expect(vapidConfigProblems({ VAPID_PUBLIC_KEY: a.publicKey })).toEqual([
      "VAPID_PRIVATE_KEY: must be set with VAPID_PUBLIC_KEY (both or neither)",
    ]);
    expect(vapidConfigProblems({ VAPID_PRIVATE_KEY: a.privateKey, VAPID_PUBLIC_KEY: " " })).toEqual(
      ["VAPID_PUBLIC_KEY: must be set with VAPID_PRIVATE_KEY (both or neither)"],
    );
    expect(
      vapidConfigProblems({ VAPID_PUBLIC_KEY: "abc", VAPID_PRIVATE_KEY: a.privateKey }),
    ).toEqual([expect.stringMatching(/check VAPID_PUBLIC_KEY/)]);
    const mixed = vapidConfigProblems({
      VAPID_PUBLIC_KEY: a.publicKey,
      VAPID_PRIVATE_KEY: b.privateKey,
    });
    expect(mixed).toEqual([
      expect.stringMatching(/VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY do not belong together/),
    ]);
    expect(mixed.join()).not.toContain(b.privateKey);
  });
});
