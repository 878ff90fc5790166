import { Parser } from "@asyncapi/parser";
import { Ajv } from "ajv";
import ajvFormats from "ajv-formats";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { asyncApiDocument, eventSchemas } from "./contracts.ts";
import { decodeEvent } from "./decode.ts";
import { marketEventSchema } from "./market-event.ts";
import { decodeRequestEvent } from "./request-event.fast.ts";
import { requestEventSchema } from "./request-event.ts";
import { allTopicNames } from "./topics.ts";

const severities = ["error", "warning", "info", "hint"];

describe("event contracts", () => {
  it("is a valid AsyncAPI 3 document covering every topic and its dead-letter twin", async () => {
    const { document, diagnostics } = await new Parser().parse(
      JSON.stringify(asyncApiDocument("0.0.0")),
    );
    const report = diagnostics.map(
      (d) => `${severities[d.severity]} ${d.code} ${d.path.join(".")}: ${d.message}`,
    );
    console.log(`AsyncAPI lint (@asyncapi/parser):\n${report.join("\n") || "no diagnostics"}`);
    expect(diagnostics.filter((d) => d.severity === 0)).toEqual([]);
    expect(document).toBeDefined();
    const addresses = document
      ?.channels()
      .all()
      .map((c) => c.address());
    expect(addresses?.sort()).toEqual(allTopicNames("").sort());
  });

  it("schemas accept the documented events and refuse what the stream worker dead-letters", () => {
    const ajv = new Ajv({ allErrors: true, strict: true });
    ajvFormats.default(ajv);
    const check = (name: string) => ajv.compile(eventSchemas[name] as object);
    const request = check("request-event");
    const base = { id: "e1", service: "edge-api", route: "/v1/x", method: "GET", status: 200 };
    expect(request({ ...base, ts: 1_767_225_600_000, durationMs: 12.5 })).toBe(true);
    expect(request({ ...base, ts: "2026-01-01T00:00:00Z", durationMs: 1 })).toBe(true);
    expect(request({ ...base, ts: "yesterday", durationMs: 1 })).toBe(false);
    expect(request({ ...base, ts: 1, durationMs: 1, extra: true })).toBe(false);
    const market = check("market-event");
    const price = {
      id: "p1",
      ts: 1_767_225_600_000,
      kind: "price",
      market: "GR",
      carrier: "electricity",
    };
    expect(market({ ...price, value: 0.2, unit: "EUR/kWh" })).toBe(true);
    expect(market({ ...price, value: -1, unit: "EUR/kWh" })).toBe(false);
    expect(check("partial-aggregate")({ v: 1, service: "s" })).toBe(false);
    expect(check("alert-transition")({ id: "x" })).toBe(false);
  });
});

/**
 * The published schemas, checked by ajv 8 with ajv-formats (with and without the `u` flag on
 * patterns), accept exactly what the stream worker's decoders accept: edge values of every rule
 * that the two express differently (timestamps, URLs, surrogates), then random timestamps and URLs.
 */
describe("published schemas and consumers agree", () => {
  const validators = [true, false].map((unicodeRegExp) => {
    const ajv = new Ajv({ allErrors: true, strict: true, unicodeRegExp });
    ajvFormats.default(ajv);
    return {
      unicodeRegExp,
      request: ajv.compile(eventSchemas["request-event"] as object),
      market: ajv.compile(eventSchemas["market-event"] as object),
    };
  });
  const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

  /** Each disagreement as a line (empty when they agree). */
  function disagreements(kind: "request" | "market", events: Record<string, unknown>[]) {
    const lines: string[] = [];
    for (const event of events) {
      const consumer =
        kind === "request"
          ? decodeRequestEvent(bytes(event))
          : decodeEvent(marketEventSchema, bytes(event));
      if (kind === "request") {
        // The zod schema itself (what the fast paths defer to) gives the same verdict.
        expect(requestEventSchema.safeParse(event).success, JSON.stringify(event)).toBe(
          consumer.ok,
        );
      }
      for (const v of validators) {
        const schema = v[kind](event);
        if (schema !== consumer.ok)
          lines.push(
            `${JSON.stringify(event)} (u=${v.unicodeRegExp}): schema ${schema}, consumer ${consumer.ok}${consumer.ok ? "" : ` (${consumer.message})`}`,
          );
      }
    }
    return lines;
  }

  const request = {
    id: "e1",
    ts: "2026-03-01T12:00:00.000Z",
    service: "edge-api",
    route: "/v1/x",
    method: "GET",
    status: 200,
    durationMs: 1,
  };
  const subsidy = {
    id: "s1",
    ts: "2026-03-01T12:00:00Z",
    kind: "subsidy",
    program: "p",
    regions: "all",
  };
  const regulation = {
    id: "r1",
    ts: 1_772_366_400_000,
    kind: "regulation",
    title: "t",
    summary: "s",
  };

  /** Timestamps on and around every rule: range, offsets, case, leap seconds, shapes. */
  const timestamps: unknown[] = [
    0,
    1_700_000_000,
    946_684_799_999,
    946_684_800_000,
    7_258_118_399_999,
    7_258_118_400_000,
    1.5e12 + 0.5,
    "1999-12-31T23:59:59Z",
    "1999-12-31T23:59:59.999Z",
    "1999-12-31T23:59:59.9999Z",
    "2000-01-01T00:00:00Z",
    "1999-12-31T23:30:00-01:00",
    "1999-12-31T22:59:59-01:00",
    "2000-01-01T00:30:00+01:00",
    "2000-01-01T01:00:00+01:00",
    "2199-12-31T23:59:59.999Z",
    "2200-01-01T00:00:00Z",
    "2200-01-01T00:30:00+01:00",
    "2199-12-31T23:30:00-01:00",
    "2300-01-01T00:00:00Z",
    "1970-01-01T00:00:00Z",
    "0000-01-01T00:00:00Z",
    "2026-03-01t12:00:00z",
    "2026-03-01T12:00:00z",
    "2026-03-01t12:00:00Z",
    "2026-03-01T12:00:00-00:00",
    "2026-12-31T23:59:60Z",
    "2026-12-31t23:59:60.5z",
    "2026-06-30T23:59:60Z",
    "2026-12-31T15:59:60-08:00",
    "2027-01-01T00:59:60+01:00",
    "2027-01-01T05:29:60+05:30",
    "2026-12-31T12:00:60Z",
    "2026-12-31T23:58:60Z",
    "2026-12-31T23:59:60+01:00",
    "2026-12-31T23:59:61Z",
    "1999-12-31T23:59:60Z",
    "1999-12-31T22:59:60-01:00",
    "2000-01-01T00:59:60+01:00",
    "2000-01-01T23:59:60Z",
    "2199-12-31T23:59:60Z",
    "2199-12-31T22:59:60-01:00",
    "2200-01-01T00:59:60+01:00",
    "2200-01-01T23:59:60Z",
    "2026-03-01 12:00:00Z",
    "2026-03-01T12:00:00+0100",
    "2026-03-01T12:00:00+01",
    "2026-03-01T12:00:00+24:00",
    "2026-03-01T12:00:00+01:60",
    "2026-03-01T24:00:00Z",
    "2026-03-01T12:60:00Z",
    "2026-03-01T12:00Z",
    "2026-03-01T12:00:00.Z",
    "2026-03-01T12:00:00",
    "2026-03-01",
    "2026-02-29T00:00:00Z",
    "2028-02-29T00:00:00Z",
    "2100-02-29T00:00:00Z",
    "2000-02-29T00:00:00Z",
    "2026-04-31T00:00:00Z",
    "2026-03-01T12:00:00.123456789123Z",
    "２026-03-01T12:00:00Z",
    " 2026-03-01T12:00:00Z",
    "2026-03-01T12:00:00Z\n",
  ];

  it("on RequestEvent timestamps, routes and regions", () => {
    const events = [
      ...timestamps.map((ts) => ({ ...request, ts })),
      ...[
        "/a\ud800",
        "/a\udc00b",
        "/\udc00\ud800",
        "/a\ud800\ud800",
        "/😀",
        `/${"😀".repeat(150)}`,
        "/café",
        "/a\u2028b",
        "/a\u0085b",
      ].map((route) => ({ ...request, route })),
      ...["\ud800", "a\udfff", "😀".repeat(40), "Κρήτη", "\u00a0", "a\u0000"].map((region) => ({
        ...request,
        region,
      })),
      { ...request, id: "😀".repeat(100) },
    ];
    expect(disagreements("request", events)).toEqual([]);
  });

  it("on MarketEvent timestamps and URLs", () => {
    const urls = [
      "https://example.gr/kenak",
      "http://localhost/x",
      "https://example.com:8443/a/b?c=d&e=%20#frag",
      "https://user:pw@example.com/",
      "https://1.2.3.4/",
      "https://xn--bcher-kva.example/",
      "https://exa_mple.com/",
      "https://example.com",
      "https://example.com?q",
      "https://example.com#f",
      "ftp://example.com/x",
      "mailto:a@example.com",
      "urn:isbn:0451450523",
      "https:example.com",
      "https:/example.com",
      "https://example.com/a b",
      " https://example.com/",
      "https://example.com/\t",
      "HTTPS://example.com/",
      "https://",
      "https:///x",
      "http://:80/",
      "https://example.com:99999/",
      "https://example.com:/",
      "https://1.2.3.256/",
      "https://a.1/",
      "https://a.0x1/",
      "https://[::1]/",
      "https://[v1.x]/",
      "https://%41.com/",
      "https://example.com/%zz",
      "https://example.com/é",
      "https://example.com/a\\b",
      "https://example.com/<a>",
      "javascript:alert(1)",
      `https://example.com/${"a".repeat(2030)}`,
      `https://example.com/${"a".repeat(2040)}`,
    ];
    const events = [
      ...timestamps.flatMap((ts) => [
        { ...subsidy, ts },
        { ...subsidy, opensAt: ts },
        { ...subsidy, closesAt: ts },
        { ...regulation, effectiveAt: ts },
      ]),
      ...urls.flatMap((url) => [
        { ...subsidy, url },
        { ...regulation, url },
      ]),
    ];
    expect(disagreements("market", events)).toEqual([]);
  });

  it("on MarketEvent regions, programs and titles (control characters, lone surrogates)", () => {
    const price = {
      id: "p1",
      ts: "2026-03-01T12:00:00Z",
      kind: "price",
      market: "GR",
      carrier: "electricity",
      value: 0.2,
      unit: "EUR/kWh",
    };
    const texts = [
      "\ud800",
      "a\udfff",
      "\udc00\ud800",
      "a\ud800\ud800",
      "😀".repeat(32),
      "😀".repeat(33),
      "😀".repeat(100),
      "😀".repeat(150),
      "Κρήτη",
      "Kefalonia & Ithaca",
      "\u00a0",
      "a\u0000",
      "a\u0001b",
      "a\u001f",
      "\u007f",
      "a\u0085b",
      "a\u009f",
      "a\u2028b",
      "a\ufffd",
    ];
    const events = texts.flatMap((text) => [
      { ...price, region: text },
      { ...subsidy, regions: [text] },
      { ...subsidy, regions: ["Attica", text] },
      { ...subsidy, program: text },
      { ...regulation, title: text },
    ]);
    expect(disagreements("market", events)).toEqual([]);
  });

  it("on random timestamps around the range's ends, leap seconds and offsets", () => {
    const two = (min: number, max: number) =>
      fc.integer({ min, max }).map((n) => String(n).padStart(2, "0"));
    const timestamp = fc
      .tuple(
        fc.constantFrom("1998", "1999", "2000", "2001", "2024", "2100", "2198", "2199", "2200"),
        fc.constantFrom("01", "02", "06", "12", "13", "00"),
        fc.constantFrom("01", "28", "29", "30", "31", "32"),
        fc.constantFrom("T", "t", " "),
        fc.oneof(two(0, 24), fc.constantFrom("00", "23")),
        fc.oneof(two(0, 60), fc.constantFrom("00", "29", "30", "59")),
        fc.oneof(two(0, 61), fc.constantFrom("59", "60")),
        fc.constantFrom("", ".5", ".999", ".9999"),
        fc.oneof(
          fc.constantFrom("Z", "z", "", "+00:00", "-00:00", "+0100"),
          fc
            .tuple(fc.constantFrom("+", "-"), two(0, 24), fc.constantFrom("00", "30", "59", "60"))
            .map(([sign, h, m]) => `${sign}${h}:${m}`),
        ),
      )
      .map(([y, mo, d, t, h, mi, s, f, z]) => `${y}-${mo}-${d}${t}${h}:${mi}:${s}${f}${z}`);
    fc.assert(
      fc.property(fc.array(timestamp, { minLength: 1, maxLength: 20 }), (tss) => {
        expect(
          disagreements(
            "request",
            tss.map((ts) => ({ ...request, ts })),
          ),
        ).toEqual([]);
      }),
      { numRuns: 1500 },
    );
  });

  it("on random URLs", () => {
    const part = fc.constantFrom(
      "https://",
      "http://",
      "http:",
      "//",
      "example.com",
      "a.1",
      "1.2.3.4",
      "[::1]",
      "user@",
      ":8080",
      ":",
      "/",
      "/a",
      "?q=1",
      "#f",
      "%20",
      "%2",
      " ",
      "_",
      "~",
      ".",
      "-",
      "é",
      "\\",
      "|",
      "xn--",
      "HTTP://",
      "0x1",
      "65535",
      "65536",
      "%41",
      "@",
      "[",
      "\t",
    );
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 8 }), (parts) => {
        const url = parts.join("");
        expect(disagreements("market", [{ ...regulation, url }])).toEqual([]);
      }),
      { numRuns: 3000 },
    );
  });

  it("on random routes and regions of paired and lone surrogates", () => {
    const unit = fc.constantFrom(
      "a",
      "/",
      "é",
      "😀",
      "\ud83d",
      "\ude00",
      "\udbff",
      "\udc00",
      " ",
      "\u0085",
    );
    fc.assert(
      fc.property(fc.array(unit, { minLength: 1, maxLength: 12 }), (units) => {
        const text = units.join("");
        expect(
          disagreements("request", [
            { ...request, route: `/${text}` },
            { ...request, region: text },
          ]),
        ).toEqual([]);
        expect(
          disagreements("market", [
            { ...subsidy, program: text, regions: [text] },
            { ...regulation, title: text },
          ]),
        ).toEqual([]);
      }),
      { numRuns: 2000 },
    );
  });
});
