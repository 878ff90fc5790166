import { describe, expect, it } from "vitest";
import {
  defaultPushRetryPolicy,
  defaultRetryScheduleMs,
  defaultWebhookRetryPolicy,
  parseRetryAfter,
  parseRetrySchedule,
  planNextAttempt,
  type RetryPolicy,
  scheduledDelayMs,
} from "./retry.ts";

const noJitter: RetryPolicy = { ...defaultWebhookRetryPolicy, jitterRatio: 0 };
const now = Date.parse("2026-11-30T12:00:00Z");

describe("retry schedule", () => {
  it("defaults to 0, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h", () => {
    expect(defaultRetryScheduleMs).toEqual(parseRetrySchedule("0,5s,5m,30m,2h,5h,10h,10h"));
    expect(parseRetrySchedule("0, 100ms, 250, 1.5s")).toEqual([0, 100, 250, 1500]);
    expect(() => parseRetrySchedule("5 minutes")).toThrow(/5 minutes/);
    expect(() => parseRetrySchedule("")).toThrow(/empty/);
  });

  it("applies jitter within its ratio and none to the immediate first attempt", () => {
    const policy = { scheduleMs: defaultRetryScheduleMs, jitterRatio: 0.2 };
    expect(scheduledDelayMs(0, policy, () => 0.99)).toBe(0);
    expect(scheduledDelayMs(1, policy, () => 0)).toBe(4000);
    expect(scheduledDelayMs(1, policy, () => 1)).toBe(6000);
    expect(scheduledDelayMs(1, policy, () => 0.5)).toBe(5000);
    expect(scheduledDelayMs(8, policy)).toBeUndefined();
  });
});

describe("Retry-After", () => {
  it("reads delay-seconds and HTTP dates, ignores garbage", () => {
    expect(parseRetryAfter("120", now)).toBe(120_000);
    expect(parseRetryAfter(" 0 ", now)).toBe(0);
    expect(parseRetryAfter("Mon, 30 Nov 2026 12:01:30 GMT", now)).toBe(90_000);
    expect(parseRetryAfter("Mon, 30 Nov 2026 11:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("-5", now)).toBeUndefined();
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe("planNextAttempt", () => {
  const plan = (over: Partial<Parameters<typeof planNextAttempt>[0]>) =>
    planNextAttempt({ outcome: "retry", attemptsMade: 1, nowMs: now, policy: noJitter, ...over });

  it("stops on delivery and on gone endpoints, blocked URLs and invalid messages", () => {
    expect(plan({ outcome: "delivered" })).toEqual({ action: "done" });
    expect(plan({ outcome: "disable_endpoint" })).toEqual({
      action: "give_up",
      reason: "endpoint_gone",
    });
    expect(plan({ outcome: "delete_subscription" })).toMatchObject({ reason: "endpoint_gone" });
    expect(plan({ outcome: "blocked" })).toMatchObject({ reason: "blocked" });
    expect(plan({ outcome: "invalid" })).toMatchObject({ reason: "permanent" });
  });

  it("follows the schedule and gives up after the last attempt", () => {
    expect(plan({ attemptsMade: 1 })).toEqual({ action: "retry", delayMs: 5000 });
    expect(plan({ attemptsMade: 2 })).toEqual({ action: "retry", delayMs: 300_000 });
    expect(plan({ attemptsMade: 7 })).toEqual({ action: "retry", delayMs: 36_000_000 });
    expect(plan({ attemptsMade: 8 })).toEqual({ action: "give_up", reason: "exhausted" });
  });

  it("honours a longer Retry-After for transient answers only, capped", () => {
    expect(plan({ retryAfterMs: 60_000 })).toEqual({ action: "retry", delayMs: 60_000 });
    expect(plan({ retryAfterMs: 1000 })).toEqual({ action: "retry", delayMs: 5000 });
    expect(plan({ retryAfterMs: 10 ** 12 })).toEqual({ action: "retry", delayMs: 36_000_000 });
    expect(plan({ outcome: "failed", retryAfterMs: 60_000 })).toEqual({
      action: "retry",
      delayMs: 5000,
    });
  });

  it("retries failures for webhooks but not for push, and never past the TTL", () => {
    const push = { ...defaultPushRetryPolicy, jitterRatio: 0 };
    expect(plan({ outcome: "failed", policy: push })).toEqual({
      action: "give_up",
      reason: "permanent",
    });
    expect(plan({ policy: push, expiresAtMs: now + 10_000 })).toEqual({
      action: "retry",
      delayMs: 5000,
    });
    expect(plan({ policy: push, expiresAtMs: now + 5000 })).toEqual({
      action: "give_up",
      reason: "expired",
    });
    expect(plan({ policy: push, expiresAtMs: now + 10_000, retryAfterMs: 20_000 })).toMatchObject({
      reason: "expired",
    });
  });
});
