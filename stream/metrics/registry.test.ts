import { describe, expect, it } from "vitest";
import { createStreamMetrics } from "./registry.ts";

describe("stream metrics", () => {
  it("leave out prom-client's gauges named like counters, keep their per-type twins", async () => {
    const text = await createStreamMetrics().registry.metrics();
    for (const name of ["handles", "requests", "resources"]) {
      expect(text).not.toContain(`nodejs_active_${name}_total`);
      expect(text).toContain(`# TYPE nodejs_active_${name} gauge`);
    }
    expect(text).toContain("# TYPE process_cpu_seconds_total counter");
  });
});
