/**
 * The stored form: `GET /v1/assessments/{id}` answers exactly the bytes `POST` answered, per view, even
 * after the engine changes (a new version whose results differ), and rows stored before bodies existed
 * are still served. Also: the size of the stored form, and the presentation rounding.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { assessments } from "../../../core/db/schema/index.ts";
import { bytesTag } from "../../conventions/caching.ts";
import { keptRawDeflate, keptRawInflate } from "../../platform/kept-zlib.ts";
import { createHarness } from "../../testing/harness.ts";
import { utf8 } from "./json-text.ts";
import { PRESENTED_DIGITS, roundSignificant } from "./present.ts";
import { decodeBodySync, encodeBody, encodeBodySync, STORED_LEVEL } from "./stored.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

const engine = vi.hoisted(() => ({ version: "", scale: 1 }));

vi.mock("../../../core/energy/index.ts", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../../core/energy/index.ts")>();
  return {
    ...real,
    get ENGINE_VERSION() {
      return engine.version || real.ENGINE_VERSION;
    },
    // A "later engine": the same physics scaled, so every figure of a new assessment differs.
    assess: (...args: Parameters<typeof real.assess>) => {
      const result = real.assess(...args);
      if (engine.scale === 1) return result;
      return {
        ...result,
        engine: { ...result.engine, version: engine.version },
        primaryEnergy: {
          ...result.primaryEnergy,
          kwhM2: result.primaryEnergy.kwhM2 * engine.scale,
        },
      };
    },
  };
});

const home = {
  location: { prefecture: "Thessaloniki" },
  buildingType: "apartment",
  constructionYear: 1978,
  heatedFloorAreaM2: 72.5,
  storeys: 1,
  apartmentPosition: "middle",
  systems: { heating: { type: "oil_boiler" }, hotWater: { type: "electric" } },
};

describe("stored assessments", () => {
  it("answers GET with the bytes POST answered, for both views, across an engine-version bump", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    engine.version = "1.0.0-before";
    engine.scale = 1;
    const posted = await h.call("/v1/assessments", key, { method: "POST", json: home });
    expect(posted.status).toBe(201);
    expect(posted.headers.get("content-type")).toMatch(/^application\/json/);
    const fullText = await posted.text();
    const { id } = JSON.parse(fullText) as { id: string };
    const summaryPosted = await h.call("/v1/assessments?view=summary", key, {
      method: "POST",
      json: home,
    });
    const summaryText = await summaryPosted.text();
    const summaryId = (JSON.parse(summaryText) as { id: string }).id;

    // The engine changes: new version, different figures.
    engine.version = "2.0.0-after";
    engine.scale = 1.5;
    const newer = JSON.parse(
      await (await h.call("/v1/assessments", key, { method: "POST", json: home })).text(),
    ) as { engineVersion: string; assessment: { primaryEnergy: { kwhM2: number } } };
    expect(newer.engineVersion).toBe("2.0.0-after");
    const old = JSON.parse(fullText) as typeof newer;
    expect(newer.assessment.primaryEnergy.kwhM2).not.toBe(old.assessment.primaryEnergy.kwhM2);

    const again = await h.call(`/v1/assessments/${id}`, key);
    expect(again.status).toBe(200);
    expect(await again.text()).toBe(fullText);
    const againSummary = await h.call(`/v1/assessments/${summaryId}?view=summary`, key);
    expect(await againSummary.text()).toBe(summaryText);
    expect(JSON.parse(summaryText)).toMatchObject({ engineVersion: "1.0.0-before" });
    // the full view of the summary-posted assessment exists too
    const summaryFull = JSON.parse(
      await (await h.call(`/v1/assessments/${summaryId}`, key)).text(),
    ) as { engineVersion: string; input: unknown };
    expect(summaryFull).toMatchObject({ engineVersion: "1.0.0-before", input: home });
    engine.version = "";
    engine.scale = 1;
  });

  it("validates a stored full view by its stored form: a stable ETag per assessment, 304 on a match", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const post = async () =>
      (
        (await (await h.call("/v1/assessments", key, { method: "POST", json: home })).json()) as {
          id: string;
        }
      ).id;
    const [a, b] = [await post(), await post()];
    const first = await h.call(`/v1/assessments/${a}`, key);
    const tag = first.headers.get("etag");
    expect(tag).toMatch(/^"[0-9a-f]{16}"$/);
    const [row] = await h.db
      .select({ body: assessments.body })
      .from(assessments)
      .where(eq(assessments.id, a));
    expect(tag).toBe(bytesTag(row?.body as Uint8Array));
    expect((await h.call(`/v1/assessments/${a}`, key)).headers.get("etag")).toBe(tag);
    // Another assessment (another id, same home): another validator.
    expect((await h.call(`/v1/assessments/${b}`, key)).headers.get("etag")).not.toBe(tag);
    const revalidated = await h.call(`/v1/assessments/${a}`, key, {
      headers: { "If-None-Match": tag as string },
    });
    expect(revalidated.status).toBe(304);
    expect(revalidated.headers.get("etag")).toBe(tag);
    expect(await revalidated.text()).toBe("");
    // The summary view keeps the body's digest (a different representation, a different tag).
    const summary = await h.call(`/v1/assessments/${a}?view=summary`, key);
    expect(summary.headers.get("etag")).toMatch(/^"[0-9a-f]{16}"$/);
    expect(summary.headers.get("etag")).not.toBe(tag);
  });

  it("keeps the summary view small and consistent with the full view", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const full = JSON.parse(
      await (await h.call("/v1/assessments", key, { method: "POST", json: home })).text(),
    ) as {
      id: string;
      assessment: {
        rating: { energyClass: string; ratio: number };
        primaryEnergy: { kwhM2: number };
        cost: { annualEur: number };
      };
    };
    const res = await h.call(`/v1/assessments/${full.id}?view=summary`, key);
    const summaryBody = await res.text();
    expect(summaryBody.length).toBeLessThan(2048);
    const summary = JSON.parse(summaryBody);
    expect(summary).toMatchObject({
      id: full.id,
      view: "summary",
      energyClass: full.assessment.rating.energyClass,
      ratio: full.assessment.rating.ratio,
      primaryEnergyKwhM2: full.assessment.primaryEnergy.kwhM2,
      annualCostEur: full.assessment.cost.annualEur,
      links: {
        full: `/v1/assessments/${full.id}`,
        benchmark: `/v1/assessments/${full.id}/benchmark`,
      },
    });
    expect(summary.recommendedPackage).toMatchObject({ id: expect.any(String) });
    const bad = await h.call(`/v1/assessments/${full.id}?view=tiny`, key);
    expect(bad.status).toBe(400);
  });

  it("serves rows stored before bodies existed from their result", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const posted = JSON.parse(
      await (await h.call("/v1/assessments", key, { method: "POST", json: home })).text(),
    ) as { id: string; assessment: unknown };
    // A row as migration 0007 left it: result JSON, no body, no package columns.
    const [row] = await h.db.select().from(assessments).where(eq(assessments.id, posted.id));
    const result = JSON.parse(text(decodeBodySync(row?.body as Buffer))).assessment;
    await h.db
      .update(assessments)
      .set({ body: null, result, packageId: null })
      .where(eq(assessments.id, posted.id));
    const legacy = JSON.parse(await (await h.call(`/v1/assessments/${posted.id}`, key)).text());
    expect(legacy).toEqual(posted);
    const summary = await (await h.call(`/v1/assessments/${posted.id}?view=summary`, key)).json();
    expect(summary).toMatchObject({ recommendedPackage: { id: expect.any(String) } });
  });

  it("stores a typical response in a few KB and decodes it exactly", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const answered = await (
      await h.call("/v1/assessments", key, { method: "POST", json: home })
    ).text();
    const [row] = await h.db.select({ body: assessments.body }).from(assessments);
    const body = row?.body as Buffer;
    expect(body.byteLength).toBeLessThan(4096);
    expect(answered.length / body.byteLength).toBeGreaterThan(8);
    expect(text(decodeBodySync(body))).toBe(answered);
    // The Node API's kept zlib stream, twice over the same stream.
    const kept = keptRawInflate();
    expect(text(decodeBodySync(body, kept))).toBe(answered);
    expect(text(decodeBodySync(body, kept))).toBe(answered);
    // The assessment workers' kept deflate stream stores the same bytes as zlib's own call.
    const deflate = keptRawDeflate({ level: STORED_LEVEL });
    const bytes = utf8(answered);
    expect(Buffer.from(encodeBodySync(bytes, deflate))).toEqual(Buffer.from(encodeBodySync(bytes)));
    expect(Buffer.from(encodeBodySync(bytes, deflate))).toEqual(Buffer.from(encodeBodySync(bytes)));
    const round = decodeBodySync(await encodeBody(utf8('{"α":"ünïcödé"}')));
    expect(text(round)).toBe('{"α":"ünïcödé"}');
    expect(() => decodeBodySync(new Uint8Array([9, 1, 2]))).toThrow(/unknown format 9/);
  });

  it("rounds presented numbers to significant digits, leaving integers alone", () => {
    expect(PRESENTED_DIGITS).toBe(5);
    expect(roundSignificant(203.2033644579829)).toBe(203.2);
    expect(roundSignificant(0.9862387149029906)).toBe(0.98624);
    expect(roundSignificant(13231.02711509129)).toBe(13231);
    expect(roundSignificant(123456.789)).toBe(123460);
    expect(roundSignificant(-1337.4637731764574)).toBe(-1337.5);
    expect(roundSignificant(4611)).toBe(4611);
    expect(roundSignificant(0)).toBe(0);
    expect(roundSignificant(1.5e-7)).toBe(1.5e-7);
    for (const v of [Math.PI * 1e-3, Math.E * 1e4, 99999.5, 0.000123456])
      expect(Math.abs(roundSignificant(v) - v) / Math.abs(v)).toBeLessThanOrEqual(5e-5);
  });
});
