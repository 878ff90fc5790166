import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeEvent } from "./decode.ts";
import { decodeParsedRequestEvent, decodeRequestEvent } from "./request-event.fast.ts";
import { newScannedRequestEvent, scannedEvent, scanRequestEvent } from "./request-event.scan.ts";
import { httpMethods, requestEventSchema } from "./request-event.ts";

const encoder = new TextEncoder();
const minMs = Date.UTC(2000, 0, 1);
const maxMs = Date.UTC(2200, 0, 1);
const ascii = (chars: string, min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...chars), minLength: min, maxLength: max });
const serviceChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
/** Printable ASCII that JSON.stringify writes without escapes. */
const printable = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i))
  .filter((ch) => ch !== '"' && ch !== "\\")
  .join("");
const hex = (n: number) => ascii("0123456789abcdef", n, n);

/** RFC 3339 strings in every shape zod's pattern allows (offsets, fractions of any length). */
const isoTimestamp = (min: number, max: number) =>
  fc
    .tuple(
      fc.integer({ min, max }),
      fc.constantFrom("Z", "+02:00", "-05:30", "+23:59", "+00:00"),
      fc.constantFrom("", ".1", ".12", ".123", ".1234", ".123456789"),
    )
    .map(([ms, offset, fraction]) => {
      const iso = new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
      return `${iso.slice(0, 19)}${fraction}${offset}`;
    });

const validEvent = fc.record(
  {
    id: ascii(printable, 1, 128),
    ts: fc.oneof(
      fc.integer({ min: minMs, max: maxMs - 1 }),
      isoTimestamp(minMs + 86_400_000, maxMs - 86_400_000),
    ),
    service: ascii(serviceChars, 1, 100),
    route: fc
      .string({ unit: fc.constantFrom(..."abc/:-_.~!$%&'()*+,;=@09"), maxLength: 199 })
      .map((r) => `/${r}`),
    method: fc.constantFrom(...httpMethods),
    status: fc.integer({ min: 100, max: 599 }),
    durationMs: fc.oneof(
      fc.integer({ min: 0, max: 86_400_000 }),
      fc.double({ min: 0, max: 86_400_000, noNaN: true }),
      fc.integer({ min: 0, max: 86_400_000_000 }).map((n) => n / 1000),
    ),
    region: ascii(printable, 1, 64),
    traceparent: fc.tuple(hex(2), hex(32), hex(16), hex(2)).map((parts) => parts.join("-")),
  },
  { requiredKeys: ["id", "ts", "service", "route", "method", "status", "durationMs"] },
);

/** Values that break (or sit on the edge of) some rule, for any field. */
const edgeValues: unknown[] = [
  null,
  true,
  false,
  [],
  {},
  "",
  " ",
  0,
  -0,
  -1,
  99,
  100,
  599,
  600,
  1e21,
  1e-7,
  2 ** 53,
  2 ** 53 + 2,
  minMs - 1,
  minMs,
  maxMs - 1,
  maxMs,
  86_400_000,
  86_400_000.001,
  1.5,
  "GET",
  "get",
  "/",
  "/a?b",
  "/a#b",
  "/a b",
  "a b",
  "é",
  "/é",
  "svc\u0000",
  "\u2028",
  "😀",
  "2026-11-22T10:00:00",
  "2026-02-29T10:00:00Z",
  "2024-02-29T10:00:00Z",
  "2026-11-22T24:00:00Z",
  "2026-11-22T10:60:00Z",
  "2026-11-22T10:00:60Z",
  "2026-11-22 10:00:00Z",
  "2026-11-22T10:00:00.Z",
  "2026-11-22T10:00:00z",
  "2026-11-22T10:00:00+2:00",
  "1999-12-31T23:59:59.999Z",
  "2199-12-31T23:59:59.999Z",
  "2200-01-01T00:00:00Z",
  "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
  "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
  "a".repeat(64),
  "a".repeat(65),
  "a".repeat(100),
  "a".repeat(101),
  "a".repeat(128),
  "a".repeat(129),
  `/${"a".repeat(199)}`,
  `/${"a".repeat(200)}`,
];
const oddValue = fc.oneof(
  fc.constantFrom(...edgeValues),
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.double(),
  fc.integer(),
  fc.integer({ min: minMs - 10, max: maxMs + 10 }),
  isoTimestamp(minMs - 86_400_000, maxMs + 86_400_000),
);

const fields = [
  "id",
  "ts",
  "service",
  "route",
  "method",
  "status",
  "durationMs",
  "region",
  "traceparent",
];

type Mutation =
  | { kind: "set"; field: string; value: unknown }
  | { kind: "delete"; field: string }
  | { kind: "extra"; field: string; value: unknown };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant("set" as const),
    field: fc.constantFrom(...fields),
    value: oddValue,
  }),
  fc.record({ kind: fc.constant("delete" as const), field: fc.constantFrom(...fields) }),
  fc.record({
    kind: fc.constant("extra" as const),
    // Other keys, among them field names with a character more or less (keys are matched by name).
    field: fc.constantFrom(
      "extra",
      "Status",
      "__proto__",
      "constructor",
      "idx",
      "i",
      "tss",
      "t",
      "trace",
      "traceparentx",
      "serv",
      "statuses",
      "ro",
      "regio",
      "routes",
      "methods",
      "durationMS",
      "d",
      "",
    ),
    value: oddValue,
  }),
);

/** Ways of writing the same object (or a slightly broken text of it) as message bytes. */
const wireForm = fc.constantFrom(
  "plain",
  "pretty",
  "escaped",
  "duplicate",
  "trailing-comma",
  "trailing-garbage",
  "truncated",
  "bom",
  "spaces",
);

function toWire(event: Record<string, unknown>, form: string): string {
  const json = JSON.stringify(event);
  switch (form) {
    case "pretty":
      return JSON.stringify(event, null, "\t");
    case "escaped":
      // Same value, written with \u escapes.
      return json.replace(/[a-z]/g, (ch) => `\\u00${ch.charCodeAt(0).toString(16)}`);
    case "duplicate":
      return json.replace(/}$/, ',"status":503}');
    case "trailing-comma":
      return json.replace(/}$/, ",}");
    case "trailing-garbage":
      return `${json} x`;
    case "truncated":
      return json.slice(0, -1);
    case "bom":
      return `\ufeff${json}`;
    case "spaces":
      return ` \r\n${json.replaceAll(",", " ,\n ").replaceAll(":", "\t: ")} \n`;
    default:
      return json;
  }
}

/** The reference: bytes -> UTF-8 -> JSON.parse -> zod. */
const reference = (bytes: Uint8Array) => decodeEvent(requestEventSchema, bytes);

function agrees(bytes: Uint8Array) {
  const expected = reference(bytes);
  const scratch = newScannedRequestEvent();
  if (scanRequestEvent(bytes, scratch)) {
    // The byte reader only accepts what zod accepts, and reads the same value (-0 included).
    expect(expected.ok).toBe(true);
    if (expected.ok) expect(scannedEvent(bytes, scratch)).toStrictEqual(expected.value);
  }
  // Both decoders stage 1 uses give the same decision, value, reason and error text as the reference.
  expect(decodeRequestEvent(bytes)).toStrictEqual(expected);
  expect(decodeParsedRequestEvent(bytes)).toStrictEqual(expected);
}

describe("scanRequestEvent agrees with requestEventSchema", () => {
  it("accepts valid events as JSON.stringify writes them, with zod's value", () => {
    fc.assert(
      fc.property(validEvent, (event) => {
        const bytes = encoder.encode(JSON.stringify(event));
        const expected = reference(bytes);
        expect(expected.ok).toBe(true);
        const scratch = newScannedRequestEvent();
        // Plain ASCII events (the wire format of every gridpulse producer) never leave the fast path.
        expect(scanRequestEvent(bytes, scratch)).toBe(true);
        if (expected.ok) expect(scannedEvent(bytes, scratch)).toStrictEqual(expected.value);
      }),
      { numRuns: 3000 },
    );
  }, 60_000);

  it("decides every edge value of every field like zod", () => {
    const event = {
      id: "e1",
      ts: 1_795_000_000_000,
      service: "edge-api",
      route: "/v1/x",
      method: "GET",
      status: 200,
      durationMs: 4.25,
      region: "ATH",
      traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    };
    for (const field of fields)
      for (const value of [...edgeValues, undefined])
        for (const form of ["plain", "spaces"])
          agrees(encoder.encode(toWire({ ...event, [field]: value }, form)));
  });

  it("decides mutated events (types, missing, extra, boundaries, timestamps, unicode) like zod", () => {
    fc.assert(
      fc.property(
        validEvent,
        fc.array(mutation, { minLength: 0, maxLength: 3 }),
        wireForm,
        (valid, mutations, form) => {
          const event: Record<string, unknown> = { ...valid };
          for (const m of mutations) {
            if (m.kind === "delete") delete event[m.field];
            else if (m.kind === "set") event[m.field] = m.value;
            else
              Object.defineProperty(event, m.field, {
                value: m.value,
                enumerable: true,
                writable: true,
                configurable: true,
              });
          }
          agrees(encoder.encode(toWire(event, form)));
        },
      ),
      { numRuns: 20_000 },
    );
  }, 120_000);

  it("decides every prefix of a valid event like zod (cut anywhere, in a key or a value)", () => {
    fc.assert(
      fc.property(validEvent, fc.nat(), (valid, cut) => {
        const bytes = encoder.encode(JSON.stringify(valid));
        agrees(bytes.subarray(0, cut % (bytes.length + 1)));
      }),
      { numRuns: 5000 },
    );
  }, 60_000);

  it("decides arbitrary bytes and JSON values like zod", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => agrees(bytes)),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.jsonValue(), (value) => agrees(encoder.encode(JSON.stringify(value) ?? ""))),
      { numRuns: 2000 },
    );
  }, 60_000);

  it("reads numbers exactly as JSON.parse does", () => {
    const numberText = fc
      .tuple(
        fc.constantFrom("", "-"),
        fc.oneof(fc.constant("0"), fc.stringMatching(/^[1-9]\d{0,20}$/)),
        fc.oneof(fc.constant(""), fc.stringMatching(/^\.\d{1,20}$/)),
        fc.oneof(fc.constant(""), fc.stringMatching(/^[eE][+-]?\d{1,3}$/)),
      )
      .map((parts) => parts.join(""));
    fc.assert(
      fc.property(numberText, numberText, (duration, ts) => {
        const text = `{"id":"a","ts":${ts},"service":"s","route":"/","method":"GET","status":200,"durationMs":${duration}}`;
        agrees(encoder.encode(text));
        const withTs = `{"id":"a","ts":1795000000000,"service":"s","route":"/","method":"GET","status":200,"durationMs":${duration}}`;
        agrees(encoder.encode(withTs));
      }),
      { numRuns: 5000 },
    );
  }, 60_000);

  it("rejects what it should not decide and still dead-letters with zod's message", () => {
    const scratch = newScannedRequestEvent();
    const base = {
      id: "e1",
      ts: 1_795_000_000_000,
      service: "edge-api",
      route: "/v1/x",
      method: "GET",
      status: 200,
      durationMs: 4.25,
    };
    expect(scanRequestEvent(encoder.encode(JSON.stringify(base)), scratch)).toBe(true);
    expect(scratch).toMatchObject({ tsMs: base.ts, service: "edge-api", durationMs: 4.25 });
    const bad = encoder.encode(JSON.stringify({ ...base, status: 700 }));
    expect(scanRequestEvent(bad, scratch)).toBe(false);
    expect(decodeRequestEvent(bad)).toEqual({
      ok: false,
      reason: "schema_violation",
      message: "status: Too big: expected number to be <=599",
    });
  });
});
