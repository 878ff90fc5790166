import { TraceFlags } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import {
  maxTracestateLength,
  normalTracestate,
  spanContextFrom,
  traceparentOf,
  traceparentSampled,
  tracestateOf,
} from "./trace-context.ts";

const T = "4bf92f3577b34da6a3ce929d0e0e4736";
const S = "00f067aa0ba902b7";

describe("spanContextFrom (W3C traceparent, §3.2)", () => {
  it("reads version 00: exactly 55 characters, lowercase hex, non-zero ids", () => {
    expect(spanContextFrom(`00-${T}-${S}-01`)).toEqual({
      traceId: T,
      spanId: S,
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
    for (const bad of [
      `00-${T}-${S}-01-extra`, // version 00 has four fields
      `00-${T}-${S}-01-`,
      `00-${T.toUpperCase()}-${S}-01`,
      `00-${T}-${S.toUpperCase()}-01`,
      `00-${T}-${S}-0A`,
      `00-${"0".repeat(32)}-${S}-01`,
      `00-${T}-${"0".repeat(16)}-01`,
      `ff-${T}-${S}-01`,
      ` 00-${T}-${S}-01`,
      `00-${T}-${S}-1`,
      "not-a-traceparent-1",
      "",
    ])
      expect(spanContextFrom(bad), bad).toBeUndefined();
  });

  it("reads a higher version from its first 55 characters when a dash or the end follows them (§3.2.4)", () => {
    expect(spanContextFrom(`01-${T}-${S}-01`)?.traceId).toBe(T);
    expect(spanContextFrom(`01-${T}-${S}-01-abcdef`)).toMatchObject({ traceId: T, spanId: S });
    // The specification's own example of a future version.
    expect(spanContextFrom(`cc-${T}-${S}-01-what-the-future-will-be-like`)).toMatchObject({
      traceId: T,
      spanId: S,
      traceFlags: TraceFlags.SAMPLED,
    });
    expect(spanContextFrom(`cc-${T}-${S}-00-what-the-future-will-be-like`)?.traceFlags).toBe(0);
    // No dash after the flags, shorter than 55, or version ff: not parsed.
    expect(spanContextFrom(`01-${T}-${S}-01abcdef`)).toBeUndefined();
    expect(spanContextFrom(`01-${T}-${S}-0`)).toBeUndefined();
    expect(spanContextFrom(`ff-${T}-${S}-01-abcdef`)).toBeUndefined();
  });

  it("takes sampled from bit 0 of the flags byte, whatever the other bits", () => {
    for (const [flags, sampled] of [
      ["00", 0],
      ["01", 1],
      ["02", 0],
      ["03", 1],
      ["05", 1],
      ["09", 1],
      ["0b", 1],
      ["0e", 0],
      ["ff", 1],
      ["fe", 0],
    ] as const)
      expect(spanContextFrom(`00-${T}-${S}-${flags}`)?.traceFlags, flags).toBe(sampled);
  });

  it("reads the sampled bit from the flags digit alone, as spanContextFrom does", () => {
    for (let flags = 0; flags < 256; flags++) {
      const hex = flags.toString(16).padStart(2, "0");
      expect(traceparentSampled(`00-${T}-${S}-${hex}`), hex).toBe((flags & 1) === 1);
    }
    expect(traceparentSampled(`cc-${T}-${S}-01-what-the-future-will-be-like`)).toBe(true);
    expect(traceparentSampled(`00-${T}-${S}-0`)).toBe(false);
    expect(traceparentSampled("")).toBe(false);
  });

  it("formats version 00 with the sampled bit only", () => {
    const normalTraceparent = (text: string) => {
      const span = spanContextFrom(text);
      return span ? traceparentOf(span) : undefined;
    };
    expect(normalTraceparent(`cc-${T}-${S}-0b-what-the-future-will-be-like`)).toBe(
      `00-${T}-${S}-01`,
    );
    expect(normalTraceparent(`00-${T}-${S}-02`)).toBe(`00-${T}-${S}-00`);
    expect(normalTraceparent(`ff-${T}-${S}-01`)).toBeUndefined();
    expect(traceparentOf({ traceId: T, spanId: S, traceFlags: 3 })).toBe(`00-${T}-${S}-01`);
  });

  it("carries a valid tracestate on the span context, and none with an invalid one", () => {
    const span = spanContextFrom(`00-${T}-${S}-01`, "congo=t61rcWkgMzE, rojo=00f067aa0ba902b7");
    expect(span && tracestateOf(span)).toBe("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
    expect(span?.traceState?.get("rojo")).toBe(S);
    const junk = spanContextFrom(`00-${T}-${S}-01`, "Congo=1");
    expect(junk?.traceId).toBe(T); // a bad tracestate never affects the traceparent
    expect(junk?.traceState).toBeUndefined();
  });
});

describe("normalTracestate (W3C tracestate, §3.3)", () => {
  it("keeps valid members in order, without optional whitespace; empty members are allowed", () => {
    expect(normalTracestate("rojo=00f067aa0ba902b7")).toBe("rojo=00f067aa0ba902b7");
    expect(normalTracestate(" congo=t61rcWkgMzE ,\t,rojo=1 ,  ")).toBe("congo=t61rcWkgMzE,rojo=1");
    expect(normalTracestate("tenant@system=x,a_-*/9=y")).toBe("tenant@system=x,a_-*/9=y");
    // A value may hold inner and leading spaces; a trailing one is optional whitespace.
    expect(normalTracestate("a= b c ")).toBe("a= b c");
    expect(normalTracestate("")).toBeUndefined();
    expect(normalTracestate(" , ,")).toBeUndefined();
  });

  it("drops the whole header when a member is invalid, a key repeats or there are more than 32", () => {
    for (const bad of [
      "Congo=1", // uppercase key
      "1abc=1", // a simple key starts with a letter
      "a@=1",
      "@a=1",
      "a@b@c=1",
      "a@1b=1", // a system id starts with a letter
      `a@${"b".repeat(15)}=1`, // system id: at most 14 characters
      `${"a".repeat(257)}=1`,
      "a=",
      "a",
      "=1",
      "a=b=c",
      "a=\u00e9",
      "a=tab\there",
      `a=${"x".repeat(257)}`,
      "a=1,a=2",
      "a=1,b",
    ])
      expect(normalTracestate(bad), bad).toBeUndefined();
    const members = (n: number) => Array.from({ length: n }, (_, i) => `k${i}=v`).join(",");
    expect(normalTracestate(members(32))).toBe(members(32));
    expect(normalTracestate(members(33))).toBeUndefined();
  });

  it("passes on at most 512 characters: members over 128 go first, then members from the end", () => {
    const long = `big=${"x".repeat(200)}`;
    const small = Array.from({ length: 20 }, (_, i) => `k${i}=${"v".repeat(20)}`); // 24-25 chars
    const text = normalTracestate([small[0], long, ...small.slice(1)].join(","));
    expect(text?.length).toBeLessThanOrEqual(maxTracestateLength);
    expect(text).not.toContain("big=");
    // All 20 small members fit once the long one is gone (20 × ~25 < 512).
    expect(text).toBe(small.join(","));
    const many = Array.from({ length: 30 }, (_, i) => `k${i}=${"v".repeat(30)}`);
    const cut = normalTracestate(many.join(",")) as string;
    expect(cut.length).toBeLessThanOrEqual(maxTracestateLength);
    expect(many.join(",").startsWith(cut)).toBe(true);
    // Nothing more fits: the next member would pass the limit.
    const next = many[cut.split(",").length] as string;
    expect(cut.length + 1 + next.length).toBeGreaterThan(maxTracestateLength);
  });
});
