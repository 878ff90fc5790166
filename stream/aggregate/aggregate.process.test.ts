import fc from "fast-check";
import type { KafkaMessage } from "kafkajs";
import { describe, expect, it } from "vitest";
import { decodeHistogram } from "../../core/latency/histogram.ts";
import {
  aggregateBatch,
  aggregateInto,
  aggregationPartials,
  boundedMaxTs,
  newAggregation,
  sameThresholds,
  traceHeaders,
} from "./aggregate.process.ts";

const t0 = Date.UTC(2026, 10, 22, 12, 0, 0);
let offset = 0;
function msg(event: Record<string, unknown> | string): KafkaMessage {
  return {
    key: Buffer.from("svc"),
    value: Buffer.from(typeof event === "string" ? event : JSON.stringify(event)),
    timestamp: "0",
    attributes: 0,
    offset: String(offset++),
    headers: {},
  };
}
const ev = (tsOffsetMs: number, status = 200, durationMs = 10, route = "/v1/x") => ({
  id: `e${offset}`,
  ts: t0 + tsOffsetMs,
  service: "edge-api",
  route,
  method: "GET",
  status,
  durationMs,
});

const settings = { allowedLatenessMs: 120_000, maxFutureSkewMs: 300_000, thresholdsMs: [50, 250] };
/** The worker's clock: well after every event of the tests above. */
const now = t0 + 3_600_000;

describe("aggregateBatch", () => {
  it("continues sampled traces only: the event's traceparent (byte reader or full decoder) or the message header", () => {
    const tp = (n: number, flags: string) =>
      `00-${n.toString(16).padStart(32, "0")}-00f067aa0ba902b7-${flags}`;
    const header = (event: Record<string, unknown>, traceparent: string) => {
      const m = msg(event);
      m.headers = { traceparent: Buffer.from(traceparent) };
      return m;
    };
    // The same event with `\u0047ET` for GET: valid, but left to the full decoder.
    const escaped = (traceparent: string) =>
      msg(JSON.stringify({ ...ev(0), traceparent }).replace('"GET"', '"\\u0047ET"'));
    const messages = [
      msg({ ...ev(0), traceparent: tp(1, "01") }), // read by the byte reader, sampled
      msg({ ...ev(0), traceparent: tp(2, "00") }), // not sampled
      escaped(tp(3, "01")), // full decoder, sampled
      escaped(tp(4, "00")),
      header(ev(0), tp(5, "01")), // header only, sampled
      header({ ...ev(0), traceparent: tp(6, "00") }, tp(7, "01")), // the event's own wins
      msg({ ...ev(0, 200, 10, "/v1/y"), traceparent: tp(8, "01") }),
    ];
    const result = aggregateBatch(0, messages, null, settings, now);
    expect(result.processed).toBe(messages.length);
    expect(result.traceparents).toEqual([tp(1, "01"), tp(3, "01"), tp(5, "01"), tp(8, "01")]);
    const byRoute = Object.fromEntries(
      result.partials.map((p, i) => [p.route, result.partialTraceparents[i]]),
    );
    expect(byRoute).toEqual({
      "/v1/x": [tp(1, "01"), tp(3, "01"), tp(5, "01")],
      "/v1/y": [tp(8, "01")],
    });
  });

  it("takes sampled from bit 0 of the flags (03, 05, 0b are sampled) on every path, and passes on version 00", () => {
    const tp = (n: number, flags: string) =>
      `00-${n.toString(16).padStart(32, "0")}-00f067aa0ba902b7-${flags}`;
    const escaped = (traceparent: string) =>
      msg(JSON.stringify({ ...ev(0), traceparent }).replace('"GET"', '"\\u0047ET"'));
    const header = msg(ev(0));
    header.headers = { traceparent: Buffer.from(tp(3, "0b")) };
    const result = aggregateBatch(
      0,
      [
        msg({ ...ev(0), traceparent: tp(1, "03") }), // byte reader
        escaped(tp(2, "05")), // full decoder
        header, // Kafka header
        msg({ ...ev(0), traceparent: tp(4, "02") }), // bit 0 clear: not sampled
        escaped(tp(5, "0a")),
      ],
      null,
      settings,
      now,
    );
    expect(result.traceparents).toEqual([tp(1, "01"), tp(2, "01"), tp(3, "01")]);
    expect(result.partialTraceparents).toEqual([[tp(1, "01"), tp(2, "01"), tp(3, "01")]]);
  });

  it("keeps only traceparents that parse (W3C §3.2): junk, version ff, zero ids and uppercase are dropped", () => {
    const T = "4bf92f3577b34da6a3ce929d0e0e4736";
    const S = "00f067aa0ba902b7";
    const withHeader = (event: Record<string, unknown>, traceparent: string | string[]) => {
      const m = msg(event);
      m.headers = {
        traceparent: Array.isArray(traceparent)
          ? traceparent.map((t) => Buffer.from(t))
          : traceparent,
      };
      return m;
    };
    const result = aggregateBatch(
      0,
      [
        withHeader(ev(0), "not-a-traceparent-1"),
        msg({ ...ev(0), traceparent: `ff-${T}-${S}-01` }),
        msg({ ...ev(0), traceparent: `00-${"0".repeat(32)}-${S}-01` }),
        msg({ ...ev(0), traceparent: `00-${T}-${"0".repeat(16)}-01` }),
        withHeader(ev(0), `00-${T.toUpperCase()}-${S}-01`),
        withHeader(ev(0), `00-${T}-${S}-01-extra`),
        withHeader(ev(0), [`00-${T}-${S}-01`, `00-${T}-${S}-01`]), // two: which one?
        // A higher version's first four fields are read (and sent on as version 00).
        withHeader(ev(0), `cc-${T}-${S}-01-what-the-future-will-be-like`),
      ],
      null,
      settings,
      now,
    );
    expect(result.processed).toBe(8);
    expect(result.deadLetters).toEqual([]);
    expect(result.traceparents).toEqual([`00-${T}-${S}-01`]);
    expect(result.partialTraceparents).toEqual([[`00-${T}-${S}-01`]]);
  });

  it("keeps the tracestate header of the traceparent it belongs to (W3C §3.3)", () => {
    const tp = (n: number) => `00-${n.toString(16).padStart(32, "0")}-00f067aa0ba902b7-01`;
    const withHeaders = (event: Record<string, unknown>, headers: Record<string, string>) => {
      const m = msg(event);
      m.headers = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)]));
      return m;
    };
    const escaped = (traceparent: string, tracestate: string) => {
      const m = msg(JSON.stringify({ ...ev(0), traceparent }).replace('"GET"', '"\\u0047ET"'));
      m.headers = { tracestate: Buffer.from(tracestate) };
      return m;
    };
    const result = aggregateBatch(
      0,
      [
        // Both headers: the pair travels together (optional whitespace dropped).
        withHeaders(ev(0), { traceparent: tp(1), tracestate: "congo=t61rcWkgMzE, rojo=1" }),
        // The event's own traceparent with a tracestate header (byte reader and full decoder).
        withHeaders({ ...ev(0), traceparent: tp(2) }, { tracestate: "rojo=2" }),
        escaped(tp(3), "rojo=3"),
        // The header's traceparent is not the one continued: its tracestate is not either.
        withHeaders({ ...ev(0), traceparent: tp(4) }, { traceparent: tp(9), tracestate: "rojo=9" }),
        // An invalid tracestate is dropped whole; the traceparent still counts.
        withHeaders(ev(0), { traceparent: tp(5), tracestate: "Rojo=5" }),
        withHeaders(ev(0), { traceparent: tp(6) }),
        // No valid traceparent: its tracestate is not read.
        withHeaders(ev(0), { traceparent: "junk", tracestate: "rojo=7" }),
      ],
      null,
      settings,
      now,
    );
    expect(result.traceparents).toEqual([tp(1), tp(2), tp(3), tp(4), tp(5), tp(6)]);
    expect(Object.fromEntries(result.tracestates)).toEqual({
      [tp(1)]: "congo=t61rcWkgMzE,rojo=1",
      [tp(2)]: "rojo=2",
      [tp(3)]: "rojo=3",
    });
  });

  it("folds events into per (service, route, minute) partials with exact counts and histograms", () => {
    const result = aggregateBatch(
      0,
      [
        msg(ev(0, 200, 10)),
        msg(ev(1000, 503, 300)),
        msg(ev(61_000, 200, 60)),
        msg(ev(2000, 404, 40, "/v1/y")),
      ],
      null,
      settings,
      now,
    );
    expect(result.processed).toBe(4);
    const byKey = Object.fromEntries(
      result.partials.map((p) => [`${p.route}@${p.bucketStartMs - t0}`, p]),
    );
    expect(byKey["/v1/x@0"]).toMatchObject({
      total: 2,
      good: 1,
      goodWithin: [
        [50, 1],
        [250, 1],
      ],
      closed: false,
    });
    expect(byKey["/v1/x@60000"]).toMatchObject({
      total: 1,
      good: 1,
      goodWithin: [
        [50, 0],
        [250, 1],
      ],
    });
    expect(byKey["/v1/y@0"]).toMatchObject({
      total: 1,
      good: 1,
      goodWithin: [
        [50, 1],
        [250, 1],
      ],
    });
    const h = decodeHistogram(byKey["/v1/x@0"]?.histogram as string);
    expect(h.totalCount).toBe(2);
    expect(h.maxValue).toBeGreaterThanOrEqual(299_700);
    expect(result.maxTsMs).toBe(t0 + 61_000);
  });

  it("dead-letters late events by the watermark carried between batches, deterministically", () => {
    const first = aggregateBatch(1, [msg(ev(600_000))], null, settings, now);
    expect(first.maxTsMs).toBe(t0 + 600_000);
    const second = aggregateBatch(
      1,
      [msg(ev(480_000)), msg(ev(479_999)), msg(ev(700_000)), msg(ev(579_999))],
      first.maxTsMs,
      settings,
      now,
    );
    // 480,000 is exactly at the bound (allowed); 479,999 is late; after 700,000 arrives, 579,999 is late too.
    expect(second.processed).toBe(2);
    expect(second.late).toBe(2);
    expect(second.deadLetters.map((d) => d.reason)).toEqual(["late_event", "late_event"]);
    expect(second.deadLetters[0]?.error).toContain("120001 ms behind");
    const closed = second.partials.find((p) => p.bucketStartMs === t0 + 480_000);
    expect(closed?.closed).toBe(true); // 8:00–9:00 ended before the watermark (700,000 - 120,000)
  });

  it("dead-letters invalid messages and keeps going", () => {
    const result = aggregateBatch(
      0,
      [msg("{nope"), msg(ev(0)), msg({ ...ev(0), status: "x" })],
      null,
      settings,
      now,
    );
    expect(result.processed).toBe(1);
    expect(result.deadLetters.map((d) => d.reason)).toEqual(["invalid_json", "schema_violation"]);
  });

  it("dead-letters events dated beyond the future skew; the watermark never passes the clock", () => {
    const year = 365 * 86_400_000;
    const result = aggregateBatch(
      2,
      [msg(ev(year)), msg(ev(300_000)), msg(ev(300_001)), msg(ev(0)), msg(ev(-110_000))],
      null,
      settings,
      t0,
    );
    // t0 + 300,000 is exactly the allowed skew (counted in its own minute); one ms more is not.
    expect(result.deadLetters.map((d) => d.reason)).toEqual([
      "future_timestamp",
      "future_timestamp",
    ]);
    expect(result.deadLetters[0]?.error).toContain(`${year} ms ahead`);
    expect(result.processed).toBe(3);
    expect(result.late).toBe(0);
    expect(result.maxTsMs).toBe(t0);
    expect(result.partials.map((p) => p.bucketStartMs - t0).sort((a, b) => a - b)).toEqual([
      -120_000, 0, 300_000,
    ]);
    expect(result.partials.every((p) => !p.closed || p.bucketStartMs < t0)).toBe(true);
  });

  it("brings a stored watermark from the future back to the clock", () => {
    const stored = t0 + 365 * 86_400_000;
    expect(boundedMaxTs(stored, t0)).toBe(t0);
    expect(boundedMaxTs(t0 - 1, t0)).toBe(t0 - 1);
    expect(boundedMaxTs(null, t0)).toBeNull();
    const result = aggregateBatch(3, [msg(ev(0)), msg(ev(-100_000))], stored, settings, t0);
    expect(result.late).toBe(0);
    expect(result.processed).toBe(2);
    expect(result.maxTsMs).toBe(t0);
  });

  it("stops before the message that would need more than maxPartials partials; slices add up", () => {
    const batch = [0, 1, 0, 2, 1, 3, 4, 4].map((r) => msg(ev(r * 1000, 200, 10, `/v1/r${r}`)));
    const whole = aggregateBatch(4, batch, null, settings, now);
    expect(whole.consumed).toBe(batch.length);
    const totals = new Map<string, number>();
    let maxTs: number | null = null;
    let rest = batch;
    const consumed: number[] = [];
    while (rest.length > 0) {
      const slice = aggregateBatch(4, rest, maxTs, { ...settings, maxPartials: 2 }, now);
      expect(slice.partials.length).toBeLessThanOrEqual(2);
      consumed.push(slice.consumed);
      for (const p of slice.partials) totals.set(p.route, (totals.get(p.route) ?? 0) + p.total);
      maxTs = slice.maxTsMs;
      rest = rest.slice(slice.consumed);
    }
    expect(consumed).toEqual([3, 2, 3]); // r0 r1 r0 | r2 r1 | r3 r4 r4
    expect(totals).toEqual(new Map(whole.partials.map((p) => [p.route, p.total])));
    expect(maxTs).toBe(whole.maxTsMs);
  });

  it("batches folded one after another into one aggregation give exactly the partials of one batch", () => {
    // Stage 1's commit interval: the fetches of an interval are folded into one aggregation, and its
    // partials (counts, thresholds, histograms, closed flags), dead letters, watermark and counts are
    // those of the same messages as one batch; summed per series, the per-fetch partials of the
    // old path give the same totals.
    const arbEvent = fc.record({
      minute: fc.integer({ min: -4, max: 3 }),
      second: fc.integer({ min: 0, max: 59_999 }),
      status: fc.constantFrom(200, 201, 404, 500, 503),
      durationMs: fc.double({ min: 0, max: 5000, noNaN: true }),
      route: fc.constantFrom("/v1/a", "/v1/b", "/v1/c", "/v1/d"),
      service: fc.constantFrom("edge-api", "billing"),
      kind: fc.constantFrom("ok", "ok", "ok", "ok", "invalid", "escaped"),
    });
    fc.assert(
      fc.property(
        fc.array(arbEvent, { minLength: 1, maxLength: 80 }),
        fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 5 }),
        (specs, sizes, maxNew) => {
          const messages = specs.map((e, i) => {
            const event = {
              id: `p${i}`,
              ts: t0 + e.minute * 60_000 + e.second,
              service: e.service,
              route: e.route,
              method: "GET",
              status: e.status,
              durationMs: e.durationMs,
            };
            if (e.kind === "invalid") return msg({ ...event, status: "x" });
            if (e.kind === "escaped")
              return msg(JSON.stringify(event).replace('"GET"', '"\\u0047ET"'));
            return msg(event);
          });
          const lateness = { ...settings, allowedLatenessMs: 90_000 };
          const whole = aggregateBatch(5, messages, t0 - 60_000, lateness, now);
          const agg = newAggregation(lateness.thresholdsMs, t0 - 60_000, now);
          const totals = new Map<string, number>();
          let maxTs: number | null = t0 - 60_000;
          let rest = messages;
          for (let i = 0; rest.length > 0; i++) {
            const batch = rest.slice(0, sizes[i % sizes.length]);
            let left = batch;
            while (left.length > 0)
              left = left.slice(aggregateInto(agg, 5, left, lateness, now, maxNew));
            const alone = aggregateBatch(5, batch, maxTs, lateness, now);
            for (const p of alone.partials) {
              const key = `${p.service}|${p.route}|${p.bucketStartMs}`;
              totals.set(key, (totals.get(key) ?? 0) + p.total);
            }
            maxTs = alone.maxTsMs;
            rest = rest.slice(batch.length);
          }
          const folded = aggregationPartials(agg, lateness.allowedLatenessMs);
          expect(folded.partials).toEqual(whole.partials);
          expect(folded.partialTraceparents).toEqual(whole.partialTraceparents);
          expect(agg.deadLetters).toEqual(whole.deadLetters);
          expect([agg.maxTsMs, agg.processed, agg.late]).toEqual([
            whole.maxTsMs,
            whole.processed,
            whole.late,
          ]);
          expect(agg.bytes).toBe(messages.reduce((n, m) => n + (m.value?.length ?? 0), 0));
          expect(new Map([...totals].sort())).toEqual(
            new Map(
              whole.partials
                .map((p) => [`${p.service}|${p.route}|${p.bucketStartMs}`, p.total] as const)
                .sort((a, b) => (a[0] < b[0] ? -1 : 1)),
            ),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it("compares thresholds as sets", () => {
    const agg = newAggregation([250, 50, 50], null, now);
    expect(agg.thresholds).toEqual([50, 250]);
    expect(sameThresholds(agg, [50, 250])).toBe(true);
    expect(sameThresholds(agg, [250, 50])).toBe(true);
    expect(sameThresholds(agg, [50, 250, 1000])).toBe(false);
  });
});

describe("traceHeaders", () => {
  const tp = (n: number) => `00-${n.toString(16).padStart(32, "0")}-00f067aa0ba902b7-01`;
  const continued = (t: string) => t.replace("00f067aa0ba902b7", "1111111111111111");
  it("gives one traceparent per sampled event, and aligned tracestates when any has one", () => {
    expect(traceHeaders([tp(1), tp(2)], continued, new Map())).toEqual({
      traceparent: [continued(tp(1)), continued(tp(2))],
    });
    expect(traceHeaders([tp(1), tp(2)], continued, new Map([[tp(2), "rojo=1"]]))).toEqual({
      traceparent: [continued(tp(1)), continued(tp(2))],
      tracestate: ["", "rojo=1"],
    });
  });
});
