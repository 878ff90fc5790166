import { describe, expect, it } from "vitest";
import { requestMinutes } from "../../../core/db/schema/index.ts";
import {
  decodeHistogram,
  encodeHistogram,
  latencyQuantiles,
  mergeInto,
  newLatencyHistogram,
  recordDurationMs,
} from "../../../core/latency/histogram.ts";
import { createHarness } from "../../testing/harness.ts";

/** `routes` routes of service `wide`, each with one minute bucket per minute of [fromMs, fromMs + minutes). */
async function seed(
  h: Awaited<ReturnType<typeof createHarness>>,
  fromMs: number,
  routes: string[],
  minutes: number,
) {
  const all = newLatencyHistogram();
  const rows = [];
  for (let m = 0; m < minutes; m++) {
    for (const [i, route] of routes.entries()) {
      const one = newLatencyHistogram();
      recordDurationMs(one, 1 + ((i * 7 + m) % 900));
      const histogram = encodeHistogram(one);
      // As stored: the expected merge starts from the encoded form too.
      mergeInto(all, decodeHistogram(histogram));
      rows.push({
        service: "wide",
        route,
        bucketStartMs: fromMs + m * 60_000,
        total: 1,
        good: 1,
        goodWithin: {},
        histogram,
        updatedAtMs: 0,
      });
    }
  }
  for (let i = 0; i < rows.length; i += 200)
    await h.db.insert(requestMinutes).values(rows.slice(i, i + 200));
  return latencyQuantiles(all);
}

describe("GET /v1/latency over many routes", () => {
  it("merges every bucket across pages, exactly as one merge would", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const to = h.clock.nowMs - (h.clock.nowMs % 60_000);
    const routes = Array.from({ length: 450 }, (_, i) => `/r/${i}`);
    const expected = await seed(h, to - 3 * 60_000, [...routes, "__other__"], 3);
    const res = await h.call(`/v1/latency?service=wide&from=${to - 3 * 60_000}&to=${to}`, key);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ ...expected, count: 451 * 3, good: 451 * 3 });

    const other = await h.call(
      `/v1/latency?service=wide&route=__other__&from=${to - 3 * 60_000}&to=${to}`,
      key,
    );
    expect(other.status).toBe(200);
    expect(((await other.json()) as { count: number }).count).toBe(3);
  });

  it("refuses a query over more stored buckets than LATENCY_MAX_BUCKETS, with the error shape", async () => {
    const h = await createHarness({ settings: { LATENCY_MAX_BUCKETS: "100" } });
    const { key } = await h.tenant();
    const to = h.clock.nowMs - (h.clock.nowMs % 60_000);
    await seed(
      h,
      to - 2 * 60_000,
      Array.from({ length: 60 }, (_, i) => `/r/${i}`),
      2,
    );
    const res = await h.call(`/v1/latency?service=wide&from=${to - 2 * 60_000}&to=${to}`, key);
    expect(res.status).toBe(400);
    const body = (await res.json()) as {
      error: { code: string; message: string; details: { path: string }[] };
    };
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.message).toContain("more than 100 stored buckets");
    expect(body.error.details[0]?.path).toBe("query.from");
    // One route, or a narrower range, stays within the budget.
    const one = await h.call(
      `/v1/latency?service=wide&route=/r/1&from=${to - 2 * 60_000}&to=${to}`,
      key,
    );
    expect(((await one.json()) as { count: number }).count).toBe(2);
    const narrow = await h.call(`/v1/latency?service=wide&from=${to - 60_000}&to=${to}`, key);
    expect(((await narrow.json()) as { count: number }).count).toBe(60);
  });

  it("refuses route names that are neither a pattern nor __other__", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    expect((await h.call("/v1/latency?service=wide&route=other", key)).status).toBe(400);
    expect((await h.call("/v1/latency?service=wide&route=__other__x", key)).status).toBe(400);
  });
});
