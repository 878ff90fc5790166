import { Parser } from "@asyncapi/parser";
import { Ajv } from "ajv";
import ajvFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { asyncApiDocument, eventSchemas } from "./contracts.ts";
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
    const price = { id: "p1", ts: 1, kind: "price", market: "GR", carrier: "electricity" };
    expect(market({ ...price, value: 0.2, unit: "EUR/kWh" })).toBe(true);
    expect(market({ ...price, value: -1, unit: "EUR/kWh" })).toBe(false);
    expect(check("partial-aggregate")({ v: 1, service: "s" })).toBe(false);
    expect(check("alert-transition")({ id: "x" })).toBe(false);
  });
});
