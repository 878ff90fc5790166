import { describe, expect, it } from "vitest";
import { createRng } from "../random/rng.ts";
import { decodeRequestEvent, fastRequestEvent } from "./request-event.fast.ts";
import { requestEventSchema } from "./request-event.ts";

const base = {
  id: "e1",
  ts: 1_795_000_000_000,
  service: "edge-api",
  route: "/v1/assessments/:id",
  method: "GET",
  status: 200,
  durationMs: 4.25,
  region: "ATH",
  traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
};

/** Values that sit on and around every rule's edges. */
const candidates: Record<string, unknown[]> = {
  id: ["", "x", "a".repeat(128), "a".repeat(129), 5, null],
  ts: [
    1_795_000_000_000,
    946_684_800_000,
    946_684_799_999,
    7_258_118_400_000,
    7_258_118_399_999,
    1.5e12 + 0.5,
    1_795_000_000,
    "2026-11-22T10:00:00Z",
    "2026-11-22T10:00:00",
    "2026-11-22T10:00:00.123+02:00",
    "1999-12-31T23:59:59Z",
    null,
    Number.NaN,
  ],
  service: ["a", "a".repeat(100), "a".repeat(101), "bad service", "ok.svc_1-2", "", 1],
  route: [
    "/",
    "/v1/x/:id",
    "v1/x",
    "/x?y=1",
    "/x#f",
    "/x y",
    `/${"a".repeat(199)}`,
    `/${"a".repeat(200)}`,
    "",
    "/a\u0000b",
    "/a\u007fb",
    "/x\ud800",
    "/x\udc00y",
    "/café/😀",
  ],
  method: ["GET", "HEAD", "OPTIONS", "get", "TRACE", ""],
  status: [100, 99, 599, 600, 200.5, "200", -1],
  durationMs: [0, -0.001, 86_400_000, 86_400_001, Number.POSITIVE_INFINITY, "1", 0.0001],
  region: [undefined, "", "x", "a".repeat(64), "a".repeat(65), null, 3, "AT\u0000H", "Κρήτη"],
  traceparent: [
    undefined,
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
    "nope",
    null,
  ],
};

describe("fastRequestEvent agrees with requestEventSchema", () => {
  it("on every edge value of every field", () => {
    for (const [field, values] of Object.entries(candidates)) {
      for (const value of values) {
        const event: Record<string, unknown> = { ...base };
        if (value === undefined) delete event[field];
        else event[field] = value;
        const zod = requestEventSchema.safeParse(event);
        const fast = fastRequestEvent(event);
        // The fast path accepts exactly what the schema accepts, with the same output.
        expect(Boolean(fast), `${field}=${String(value)}`).toBe(zod.success);
        if (fast) expect(fast).toEqual(zod.data);
        const decoded = decodeRequestEvent(new TextEncoder().encode(JSON.stringify(event)));
        expect(decoded.ok, `${field}=${String(value)}`).toBe(zod.success);
      }
    }
  });

  it("on 20,000 random mutations (unknown keys, missing keys, type swaps)", () => {
    const rng = createRng(99);
    const pick = <T>(xs: T[]) => xs[Math.floor(rng() * xs.length)] as T;
    const fields = Object.keys(candidates);
    for (let i = 0; i < 20_000; i++) {
      const event: Record<string, unknown> = { ...base };
      const mutations = 1 + Math.floor(rng() * 3);
      for (let m = 0; m < mutations; m++) {
        const roll = rng();
        const field = pick(fields);
        if (roll < 0.7) event[field] = pick(candidates[field] as unknown[]);
        else if (roll < 0.85) delete event[field];
        else event[pick(["extra", "Status", "__proto_x"])] = 1;
      }
      for (const k of Object.keys(event)) if (event[k] === undefined) delete event[k];
      const zod = requestEventSchema.safeParse(event);
      const decoded = decodeRequestEvent(new TextEncoder().encode(JSON.stringify(event)));
      expect(decoded.ok, JSON.stringify(event)).toBe(zod.success);
      expect(
        Boolean(fastRequestEvent(JSON.parse(JSON.stringify(event)))),
        JSON.stringify(event),
      ).toBe(zod.success);
      if (decoded.ok && zod.success) expect(decoded.value).toEqual(zod.data);
    }
  });

  it("reports reasons like the generic decoder", () => {
    expect(decodeRequestEvent(null)).toMatchObject({ ok: false, reason: "empty_value" });
    expect(decodeRequestEvent(new TextEncoder().encode("{x"))).toMatchObject({
      ok: false,
      reason: "invalid_json",
    });
    const bad = decodeRequestEvent(
      new TextEncoder().encode(JSON.stringify({ ...base, status: "x" })),
    );
    expect(bad).toMatchObject({ ok: false, reason: "schema_violation" });
  });
});

describe("routes and regions that would not survive libSQL", () => {
  it("are refused, on the fast path and through the schema alike", () => {
    for (const route of ["/a\u0000b", "/x\ud800", "/x\udc00y", "/a\u0085b", "/a\u007fb"]) {
      expect(requestEventSchema.safeParse({ ...base, route }).success, JSON.stringify(route)).toBe(
        false,
      );
      expect(fastRequestEvent({ ...base, route }), JSON.stringify(route)).toBeUndefined();
    }
    // Paired surrogates (an emoji) and other non-ASCII text stay valid.
    expect(fastRequestEvent({ ...base, route: "/café/😀", region: "Κρήτη" })).toBeDefined();
  });
});
