import { describe, expect, it } from "vitest";
import { classifyPushExchange, classifyWebhookExchange, type HttpExchange } from "./outcome.ts";

const now = Date.parse("2026-11-30T12:00:00Z");
const ex = (over: Partial<HttpExchange>): HttpExchange => ({
  timedOut: false,
  durationMs: 20,
  ...over,
});

describe("webhook attempt classification", () => {
  const classify = (over: Partial<HttpExchange>) => classifyWebhookExchange(ex(over), 5000, now);

  it.each([
    [200, "delivered"],
    [204, "delivered"],
    [299, "delivered"],
    [301, "failed"],
    [302, "failed"],
    [307, "failed"],
    [400, "failed"],
    [401, "failed"],
    [404, "failed"],
    [410, "disable_endpoint"],
    [408, "retry"],
    [429, "retry"],
    [500, "retry"],
    [503, "retry"],
  ] as const)("status %i is %s", (status, outcome) => {
    expect(classify({ status }).outcome).toBe(outcome);
  });

  it("treats time-outs, network errors and late 2xx as transient", () => {
    expect(classify({ timedOut: true })).toEqual({ outcome: "retry" });
    expect(classify({ networkError: "ECONNRESET" })).toEqual({ outcome: "retry" });
    expect(classify({ status: 200, durationMs: 5001 })).toEqual({ outcome: "retry" });
  });

  it("carries Retry-After (seconds or HTTP date) on transient answers", () => {
    expect(classify({ status: 429, retryAfter: "30" })).toEqual({
      outcome: "retry",
      retryAfterMs: 30_000,
    });
    expect(classify({ status: 503, retryAfter: "Mon, 30 Nov 2026 12:10:00 GMT" })).toEqual({
      outcome: "retry",
      retryAfterMs: 600_000,
    });
    expect(classify({ status: 301, retryAfter: "30" })).toEqual({ outcome: "failed" });
  });
});

describe("push attempt classification", () => {
  const classify = (over: Partial<HttpExchange>) => classifyPushExchange(ex(over), now);
  it.each([
    [201, "delivered"],
    [404, "delete_subscription"],
    [410, "delete_subscription"],
    [413, "failed"],
    [400, "failed"],
    [403, "failed"],
    [429, "retry"],
    [502, "retry"],
  ] as const)("status %i is %s", (status, outcome) => {
    expect(classify({ status }).outcome).toBe(outcome);
  });
  it("retries time-outs and honours Retry-After", () => {
    expect(classify({ timedOut: true }).outcome).toBe("retry");
    expect(classify({ status: 429, retryAfter: "7" })).toEqual({
      outcome: "retry",
      retryAfterMs: 7000,
    });
  });
});
