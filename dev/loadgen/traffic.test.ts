import { describe, expect, it } from "vitest";
import { requestEventSchema } from "../../core/events/request-event.ts";
import { createTraffic, routeProfiles } from "./traffic.ts";

describe("synthetic traffic", () => {
  const n = 100_000;
  const next = createTraffic({ seed: 42, errorRate: 0.01 });
  const events = Array.from({ length: n }, (_, i) => next(1_795_000_000_000 + i));

  it("produces valid RequestEvents with unique ids", () => {
    for (const event of events.slice(0, 2000)) requestEventSchema.parse(event);
    expect(new Set(events.map((e) => e.id)).size).toBe(n);
  });

  it("covers several services and every route", () => {
    expect(new Set(events.map((e) => e.service)).size).toBeGreaterThanOrEqual(4);
    expect(new Set(events.map((e) => e.route)).size).toBe(routeProfiles.length);
  });

  it("has the configured 5xx rate and a 4xx share", () => {
    const serverErrors = events.filter((e) => e.status >= 500).length / n;
    const clientErrors = events.filter((e) => e.status >= 400 && e.status < 500).length / n;
    expect(serverErrors).toBeGreaterThan(0.008);
    expect(serverErrors).toBeLessThan(0.012);
    expect(clientErrors).toBeGreaterThan(0.015);
    expect(clientErrors).toBeLessThan(0.025);
  });

  it("has a latency tail well beyond the median", () => {
    const route = events
      .filter((e) => e.route === "/v1/benchmarks" && e.status < 400)
      .map((e) => e.durationMs)
      .sort((a, b) => a - b);
    const q = (p: number) => route[Math.floor(p * (route.length - 1))] as number;
    expect(q(0.5)).toBeGreaterThan(3);
    expect(q(0.5)).toBeLessThan(5);
    expect(q(0.999) / q(0.5)).toBeGreaterThan(8);
  });

  it("is deterministic for a seed", () => {
    const a = createTraffic({ seed: 7 });
    const b = createTraffic({ seed: 7 });
    expect(a(0)).toEqual(b(0));
  });
});
