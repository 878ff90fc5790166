import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  countAtOrBelow,
  decodeHistogram,
  encodeHistogram,
  histogramMean,
  latencyQuantiles,
  mergeInto,
  newLatencyHistogram,
  recordDurationMs,
} from "./histogram.ts";

/** Heavy-tailed samples (log-normal body, Pareto tail) from a seeded generator. */
function samples(n: number, seed = 1): number[] {
  let s = seed;
  const rnd = () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return (s + 0.5) / 2 ** 31;
  };
  return Array.from({ length: n }, () => {
    const normal = Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd());
    let ms = 12 * Math.exp(0.6 * normal);
    if (rnd() < 0.02) ms *= rnd() ** (-1 / 1.2);
    return Math.min(Math.round(ms * 1000) / 1000, 3_000_000);
  });
}

describe("latency histograms", () => {
  it("reports every quantile of 1,000,000 heavy-tailed samples within HDR's relative error bound", () => {
    const values = samples(1_000_000);
    const h = newLatencyHistogram();
    for (const v of values) recordDurationMs(h, v);
    const sorted = values.map((v) => Math.round(v * 1000)).sort((a, b) => a - b);
    // HDR reports, for percentile q, a value equivalent (within one bucket) to the exact one:
    // the relative difference is bounded by 10^-digits (3 digits: 0.1%), plus the µs rounding.
    for (const q of [50, 90, 95, 99, 99.9, 99.99]) {
      const exact = sorted[Math.ceil((q / 100) * sorted.length) - 1] as number;
      const reported = h.getValueAtPercentile(q);
      expect(Math.abs(reported - exact) / exact, `p${q}`).toBeLessThanOrEqual(0.001 + 1 / exact);
    }
    expect(
      Math.abs(h.maxValue - (sorted.at(-1) as number)) / (sorted.at(-1) as number),
    ).toBeLessThanOrEqual(0.001);
    expect(h.totalCount).toBe(1_000_000);
  });

  it("merges losslessly and round-trips through the V2 compressed encoding", () => {
    const values = samples(20_000, 7);
    const whole = newLatencyHistogram();
    const parts = [newLatencyHistogram(), newLatencyHistogram(), newLatencyHistogram()];
    values.forEach((v, i) => {
      recordDurationMs(whole, v);
      recordDurationMs(parts[i % 3] as ReturnType<typeof newLatencyHistogram>, v);
    });
    const merged = newLatencyHistogram();
    for (const part of parts) mergeInto(merged, decodeHistogram(encodeHistogram(part)));
    // Same counts bucket by bucket (the encodings may differ in the header's auto-resized range).
    const ladder = (h: ReturnType<typeof newLatencyHistogram>) =>
      [0, 1, 5, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100].map((p) =>
        h.getValueAtPercentile(p),
      );
    expect(ladder(merged)).toEqual(ladder(whole));
    expect(merged.totalCount).toBe(whole.totalCount);
    expect(encodeHistogram(merged).startsWith("HISTF")).toBe(true);
    // Percentiles are identical; max and mean come from bucket values after decoding (within 0.1%).
    const a = latencyQuantiles(merged);
    const b = latencyQuantiles(whole);
    expect([a.p50, a.p90, a.p95, a.p99, a.p999, a.count]).toEqual([
      b.p50,
      b.p90,
      b.p95,
      b.p99,
      b.p999,
      b.count,
    ]);
    expect(Math.abs((a.max as number) - (b.max as number)) / (b.max as number)).toBeLessThanOrEqual(
      0.001,
    );
  });

  it("gives quantiles in milliseconds and null without data", () => {
    const h = newLatencyHistogram();
    expect(latencyQuantiles(h)).toMatchObject({ count: 0, p50: null, max: null });
    for (const v of [1, 2, 3, 4, 100]) recordDurationMs(h, v);
    const q = latencyQuantiles(h);
    expect(q.count).toBe(5);
    expect(q.p50).toBeCloseTo(3, 2);
    expect(q.max).toBeCloseTo(100, 1);
  });

  it("computes the mean exactly as the histogram's own getter, in one pass", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.double({ min: 0, max: 120_000, noNaN: true }), { maxLength: 60 }), {
          minLength: 1,
          maxLength: 4,
        }),
        (parts) => {
          // Merged from decoded parts, as the latency reads build them.
          const merged = newLatencyHistogram();
          for (const values of parts) {
            const h = newLatencyHistogram();
            for (const v of values) recordDurationMs(h, v);
            mergeInto(merged, decodeHistogram(encodeHistogram(h)));
          }
          expect(histogramMean(merged)).toBe(merged.mean);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("counts values at or below a threshold", () => {
    const h = newLatencyHistogram();
    for (const v of [10, 99.9, 100, 100.5, 250, 1000]) recordDurationMs(h, v);
    expect(countAtOrBelow(h, 100)).toBe(3);
    expect(countAtOrBelow(h, 5)).toBe(0);
    expect(countAtOrBelow(h, 10_000)).toBe(6);
  });
});
