import { describe, expect, it } from "vitest";
import { decodeEvent, maxEventBytes } from "./decode.ts";
import { isGoodForAvailability, requestEventSchema } from "./request-event.ts";

const valid = {
  id: "evt-1",
  ts: "2026-11-22T10:00:00.250+02:00",
  service: "edge-api",
  route: "/v1/assessments/:id",
  method: "GET",
  status: 200,
  durationMs: 12.5,
  region: "ATH",
  traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
};

const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe("RequestEvent", () => {
  it("accepts RFC 3339 and epoch-millisecond timestamps and normalises to epoch ms", () => {
    const a = requestEventSchema.parse(valid);
    expect(a.ts).toBe(Date.parse("2026-11-22T08:00:00.250Z"));
    const b = requestEventSchema.parse({ ...valid, ts: 1_795_000_000_000 });
    expect(b.ts).toBe(1_795_000_000_000);
  });

  it("rejects epoch seconds, naive date-times and unknown fields", () => {
    expect(requestEventSchema.safeParse({ ...valid, ts: 1_795_000_000 }).success).toBe(false);
    expect(requestEventSchema.safeParse({ ...valid, ts: "2026-11-22T10:00:00" }).success).toBe(
      false,
    );
    expect(requestEventSchema.safeParse({ ...valid, extra: 1 }).success).toBe(false);
  });

  it("reads RFC 3339 as written: lower-case t and z, and a leap second as 23:59:59.999 UTC", () => {
    const ts = (value: unknown) => requestEventSchema.safeParse({ ...valid, ts: value });
    expect(ts("2026-11-22t10:00:00.250z").data?.ts).toBe(Date.parse("2026-11-22T10:00:00.250Z"));
    expect(ts("2016-12-31T23:59:60Z").data?.ts).toBe(Date.parse("2016-12-31T23:59:59.999Z"));
    expect(ts("2016-12-31T15:59:60.5-08:00").data?.ts).toBe(Date.parse("2016-12-31T23:59:59.999Z"));
    expect(ts("2017-01-01T00:59:60+01:00").data?.ts).toBe(Date.parse("2016-12-31T23:59:59.999Z"));
    // A leap second only ends a UTC day; the range is checked on the instant (offsets included).
    expect(ts("2016-12-31T12:00:60Z").success).toBe(false);
    expect(ts("2016-12-31T23:59:60+01:00").success).toBe(false);
    expect(ts("1999-12-31T23:59:60Z").success).toBe(false);
    expect(ts("1999-12-31T23:30:00-01:00").data?.ts).toBe(Date.UTC(2000, 0, 1, 0, 30));
    expect(ts("2000-01-01T00:30:00+01:00").success).toBe(false);
    for (const shape of ["2026-11-22 10:00:00Z", "2026-11-22T10:00:00+0100", "2026-11-22T10:00Z"])
      expect(ts(shape).success, shape).toBe(false);
  });

  it("rejects raw paths with query strings, bad statuses and negative durations", () => {
    expect(requestEventSchema.safeParse({ ...valid, route: "/v1/x?id=1" }).success).toBe(false);
    expect(requestEventSchema.safeParse({ ...valid, status: 600 }).success).toBe(false);
    expect(requestEventSchema.safeParse({ ...valid, durationMs: -1 }).success).toBe(false);
    expect(requestEventSchema.safeParse({ ...valid, method: "get" }).success).toBe(false);
  });

  it("classifies availability by status < 500", () => {
    expect(isGoodForAvailability({ status: 499 })).toBe(true);
    expect(isGoodForAvailability({ status: 500 })).toBe(false);
  });
});

describe("decodeEvent", () => {
  it("decodes a valid message", () => {
    const decoded = decodeEvent(requestEventSchema, bytes(valid));
    expect(decoded.ok).toBe(true);
  });

  it.each([
    ["empty_value", null],
    ["empty_value", new Uint8Array()],
    ["invalid_utf8", new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])],
    ["invalid_json", new TextEncoder().encode("{not json")],
    ["schema_violation", bytes({ ...valid, status: "200" })],
    ["too_large", new Uint8Array(maxEventBytes + 1).fill(0x20)],
  ] as const)("reports %s", (reason, input) => {
    const decoded = decodeEvent(requestEventSchema, input);
    expect(decoded).toMatchObject({ ok: false, reason });
  });

  it("names the failing fields", () => {
    const decoded = decodeEvent(requestEventSchema, bytes({ ...valid, status: "200", route: "x" }));
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) {
      expect(decoded.message).toContain("status:");
      expect(decoded.message).toContain("route:");
    }
  });
});
