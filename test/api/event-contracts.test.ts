/**
 * The event contracts as a producer meets them: the API serves the AsyncAPI document and the JSON
 * Schemas on both runtimes (Node and workerd), identically; the served document parses with
 * @asyncapi/parser without errors; and sample events produced with kcat (an external Kafka client),
 * read back from the real broker, validate against the served schemas exactly when the stream
 * worker's own zod schemas accept them.
 */
import { execFileSync } from "node:child_process";
import { Parser } from "@asyncapi/parser";
import { Ajv } from "ajv";
import ajvFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { marketEventSchema } from "../../core/events/market-event.ts";
import { requestEventSchema } from "../../core/events/request-event.ts";
import { topicName } from "../../core/events/topics.ts";
import { type ApiRuntime, startApiRuntime } from "../support/api-runtimes.ts";
import { brokers, createTopics, testKafka, uniquePrefix } from "../support/kafka.ts";

const runtimes: ApiRuntime[] = [];
beforeAll(async () => {
  runtimes.push(...(await Promise.all([startApiRuntime("node"), startApiRuntime("workerd")])));
}, 180_000);
afterAll(async () => {
  await Promise.all(runtimes.map((r) => r.stop()));
});

const get = async (r: ApiRuntime, path: string) => {
  const res = await fetch(`${r.url}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const request = (over: Record<string, unknown>) =>
  JSON.stringify({
    id: "evt-1",
    ts: "2026-03-01T12:00:00.000Z",
    service: "edge-api",
    route: "/v1/assessments",
    method: "POST",
    status: 201,
    durationMs: 41.7,
    ...over,
  });
const samples = {
  requests: [
    request({}),
    request({ id: "evt-2", ts: 1_772_366_400_000, region: "ATH", traceparent }),
    request({ id: "evt-3", status: 99 }),
    request({ id: "evt-4", durationMs: "slow" }),
    // RFC 3339 as the RFC allows it: lower-case t and z, a leap second at 23:59:60 UTC.
    request({ id: "evt-5", ts: "2026-03-01t12:00:00.5z" }),
    request({ id: "evt-6", ts: "2016-12-31T15:59:60-08:00" }),
    // Out of range (epoch seconds, a time before 2000), a leap second not at 23:59 UTC.
    request({ id: "evt-7", ts: 1_772_366_400 }),
    request({ id: "evt-8", ts: "1999-12-31T23:59:59Z" }),
    request({ id: "evt-9", ts: "2016-12-31T12:00:60Z" }),
    // A lone surrogate in the route or region; an emoji is fine.
    request({ id: "evt-10", route: "/v1/\ud800" }),
    request({ id: "evt-11", region: "\udc00" }),
    request({ id: "evt-12", route: "/v1/😀", region: "Κρήτη" }),
  ],
  market: [
    JSON.stringify({
      id: "px-1",
      ts: "2026-03-01T12:00:00Z",
      kind: "price",
      market: "GR",
      carrier: "electricity",
      value: 0.187,
      unit: "EUR/kWh",
    }),
    JSON.stringify({
      id: "sub-1",
      ts: "2026-03-01T12:00:00Z",
      kind: "subsidy",
      program: "exoikonomo-2025",
      regions: ["Attica"],
      maxSubsidyPct: 75,
    }),
    JSON.stringify({
      id: "reg-1",
      ts: 1_772_366_400_000,
      kind: "regulation",
      title: "KENAK",
      summary: "Revised U-values",
    }),
    JSON.stringify({ id: "px-2", ts: "2026-03-01", kind: "price", unit: "EUR/MWh" }),
    ...[
      "ftp://example.com/x",
      "mailto:a@example.com",
      "https:example.com",
      "https://example.com/a b",
      "https://example.gr/programs/exoikonomo?year=2025#terms",
    ].map((url, i) =>
      JSON.stringify({
        id: `reg-u${i}`,
        ts: 1_772_366_400_000,
        kind: "regulation",
        title: "t",
        summary: "s",
        url,
      }),
    ),
    JSON.stringify({ id: "sub-2", ts: 0, kind: "subsidy", program: "p", regions: "all" }),
    JSON.stringify({
      id: "sub-3",
      ts: "2026-03-01T12:00:00Z",
      kind: "subsidy",
      program: "p",
      regions: "all",
      opensAt: 1_772_366_400,
    }),
  ],
};

describe("event contracts served by the API", () => {
  it("serves the same AsyncAPI document and schemas on Node and workerd; it parses without errors", async () => {
    const [node, workerd] = runtimes as [ApiRuntime, ApiRuntime];
    const doc = await get(node, "/asyncapi.json");
    expect(doc.status).toBe(200);
    expect(await get(workerd, "/asyncapi.json")).toEqual(doc);
    for (const name of ["request-event", "market-event", "partial-aggregate", "alert-transition"]) {
      const served = await get(node, `/schemas/${name}.json`);
      expect(served.status, name).toBe(200);
      expect(await get(workerd, `/schemas/${name}.json`)).toEqual(served);
    }
    const missing = await get(workerd, "/schemas/nope.json");
    expect(missing).toMatchObject({ status: 404, body: { error: { code: "not_found" } } });
    const { diagnostics } = await new Parser().parse(JSON.stringify(doc.body));
    expect(diagnostics.filter((d) => d.severity === 0)).toEqual([]);
  });

  it("validates events produced with kcat as the stream worker's schemas do", async () => {
    const node = runtimes[0] as ApiRuntime;
    const ajv = new Ajv({ allErrors: true });
    ajvFormats.default(ajv);
    const prefix = uniquePrefix();
    await createTopics(testKafka(), prefix, 1);
    const cases = [
      {
        topic: topicName(prefix, "requests"),
        key: "edge-api",
        lines: samples.requests,
        schema: "request-event",
        zod: requestEventSchema,
        valid: [true, true, false, false, true, true, false, false, false, false, false, true],
      },
      {
        topic: topicName(prefix, "market"),
        key: "market:electricity",
        lines: samples.market,
        schema: "market-event",
        zod: marketEventSchema,
        valid: [true, true, true, false, false, false, false, false, true, false, false],
      },
    ];
    for (const c of cases) {
      const validate = ajv.compile((await get(node, `/schemas/${c.schema}.json`)).body);
      execFileSync(
        "kcat",
        [
          "-P",
          "-b",
          brokers().join(","),
          "-t",
          c.topic,
          "-K\t",
          "-H",
          `traceparent=${traceparent}`,
        ],
        { input: `${c.lines.map((l) => `${c.key}\t${l}`).join("\n")}\n`, timeout: 30_000 },
      );
      const consumed = execFileSync(
        "kcat",
        ["-C", "-b", brokers().join(","), "-t", c.topic, "-o", "beginning", "-e", "-J", "-q"],
        { timeout: 30_000 },
      )
        .toString()
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { key: string; payload: string; headers: string[] });
      expect(consumed).toHaveLength(c.lines.length);
      const verdicts = consumed.map((m) => {
        const event = JSON.parse(m.payload) as unknown;
        expect(m.key).toBe(c.key);
        expect(m.headers).toEqual(["traceparent", traceparent]);
        return { schema: validate(event), zod: c.zod.safeParse(event).success };
      });
      expect(verdicts.map((v) => v.schema)).toEqual(c.valid);
      for (const v of verdicts) expect(v.schema).toBe(v.zod);
    }
  });
});
