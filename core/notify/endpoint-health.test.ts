import { describe, expect, it } from "vitest";
import { defaultDisableAfterMs, endpointAfterAttempt } from "./endpoint-health.ts";

const day = 86_400_000;

describe("endpoint health", () => {
  it("disables at once on 410", () => {
    expect(endpointAfterAttempt({}, "disable_endpoint", 0).verdict).toBe("disable");
  });

  it("disables after failing for the whole period, and a success resets it", () => {
    let h = endpointAfterAttempt({}, "retry", 1000);
    expect(h).toEqual({ health: { failingSinceMs: 1000 }, verdict: "failing" });
    h = endpointAfterAttempt(h.health, "failed", 1000 + 4 * day);
    expect(h.verdict).toBe("failing");
    expect(endpointAfterAttempt(h.health, "retry", 1000 + defaultDisableAfterMs).verdict).toBe(
      "disable",
    );
    expect(endpointAfterAttempt(h.health, "delivered", 1000 + 6 * day)).toEqual({
      health: {},
      verdict: "healthy",
    });
    expect(endpointAfterAttempt({}, "blocked", 0, 0).verdict).toBe("disable");
    expect(endpointAfterAttempt({}, "invalid", 10 * day).verdict).toBe("healthy");
  });
});
