import { eq, inArray } from "drizzle-orm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assessments } from "../../../core/db/schema/index.ts";
import { pageBody } from "../../conventions/pagination.ts";
import { requestExamples } from "../../openapi/conventions.ts";
import { tenantScope } from "../../tenancy/tenant-scope.ts";
import { createHarness } from "../../testing/harness.ts";
import { keyAt, pageText, renderedPage } from "./list-page.ts";
import { presentSummary } from "./present.ts";
import { latestQuery } from "./store.ts";

/** OpenAPI's documented example home, in another prefecture. */
const home = {
  ...(requestExamples.createAssessment as Record<string, unknown>),
  location: { prefecture: "Chania" },
};

const item = (id: string, createdAtMs: number) =>
  JSON.stringify(
    presentSummary({
      id,
      createdAtMs,
      climateZone: "B",
      buildingType: "apartment",
      constructionYear: 1990,
      heatedFloorAreaM2: 80.25,
      primaryEnergyKwhM2: 187.123456789,
      energyClass: "D",
      annualCostEur: 1234.5,
    }),
  );

describe("list page from stored items", () => {
  it("reads the id and creation time of a stored item, and nothing else", () => {
    expect(keyAt(item("asm_a", Date.UTC(2026, 0, 2, 3, 4, 5, 6)), 0)).toEqual({
      id: "asm_a",
      createdAt: "2026-01-02T03:04:05.006Z",
    });
    expect(keyAt('{"createdAt":"2026-01-02T03:04:05.006Z","id":"asm_a"}', 0)).toBeUndefined();
    expect(keyAt('{"id":"asm_a","createdAt":"2026-01-02"}', 0)).toBeUndefined();
    expect(keyAt("", 0)).toBeUndefined();
    expect(keyAt(`x,${item("asm_b", 0)}`, 2)?.id).toBe("asm_b");
  });

  it("answers what pageBody answers, whatever order the items are joined in", () => {
    // Items newest first, ties on time broken by the greater id; joined in any order.
    const entry = fc.record({
      ms: fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2026, 0, 1) + 5 }),
      id: fc.stringMatching(/^asm_[0-9a-z]{1,6}$/),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(entry, { minLength: 1, maxLength: 30, selector: (e) => e.id }),
        fc.integer({ min: 1, max: 30 }),
        fc.infiniteStream(fc.double()),
        (entries, limit, noise) => {
          const ordered = [...entries]
            .sort((a, b) => b.ms - a.ms || (a.id < b.id ? 1 : -1))
            .slice(0, limit + 1);
          const rows = ordered.map((e) => ({ id: e.id, createdAtMs: e.ms }));
          const page = rows.slice(0, limit);
          const expected = JSON.stringify(
            pageBody(
              {
                rows: page.map((r) => JSON.parse(item(r.id, r.createdAtMs))),
                next:
                  rows.length > limit
                    ? { tsMs: page.at(-1)?.createdAtMs ?? 0, id: page.at(-1)?.id ?? "" }
                    : null,
              },
              (r) => r,
            ),
          );
          const weights = noise.take(ordered.length);
          const shuffled = ordered
            .map((e) => ({ e, w: weights.next().value as number }))
            .sort((a, b) => a.w - b.w)
            .map(({ e }) => item(e.id, e.ms));
          expect(pageText(shuffled.join(","), ordered.length, limit)?.body).toBe(expected);
        },
      ),
    );
  });

  it("declines items not in the stored form", () => {
    expect(pageText(`${item("asm_b", 2)},{"id":1}`, 2, 5)).toBeUndefined();
    // A count that does not match the rows read: not decided here.
    expect(pageText(item("asm_b", 2), 2, 5)).toBeUndefined();
  });
});

describe("GET /v1/assessments from stored items", () => {
  it("answers each page byte for byte as rendered from the columns, also with rows from before stored items", async () => {
    const h = await createHarness();
    const { key, tenantId } = await h.tenant();
    const other = await h.tenant();
    const ids: string[] = [];
    for (let i = 0; i < 23; i++) {
      // Runs of equal creation times: the id decides the order within one.
      if (i % 4 === 0) h.clock.nowMs += 1;
      const res = await h.call("/v1/assessments", key, { method: "POST", json: home });
      expect(res.status).toBe(201);
      ids.push(((await res.json()) as { id: string }).id);
      await h.call("/v1/assessments", other.key, { method: "POST", json: home });
    }
    const stored = await h.db
      .select({ id: assessments.id, listItem: assessments.listItem })
      .from(assessments)
      .where(eq(assessments.tenantId, tenantId));
    expect(stored.every((r) => r.listItem !== null)).toBe(true);

    const tenant = tenantScope(h.db, tenantId);
    const walk = async () => {
      const bodies: string[] = [];
      const fromColumns: string[] = [];
      let cursor: string | null = null;
      do {
        const path: string = `/v1/assessments?limit=5${cursor ? `&cursor=${cursor}` : ""}`;
        const res = await h.call(path, key);
        expect(res.status).toBe(200);
        const text = await res.text();
        bodies.push(text);
        const parsed = JSON.parse(text) as { nextCursor: string | null };
        cursor = parsed.nextCursor;
      } while (cursor !== null);
      // The same pages rendered from the columns.
      let after: { tsMs: number; id: string } | undefined;
      for (;;) {
        const page = await latestQuery(tenant, { limit: 5, cursor: after });
        fromColumns.push(JSON.stringify(pageBody(page, presentSummary)));
        if (page.next === null) break;
        after = page.next;
      }
      return { bodies, fromColumns };
    };
    const walked = await walk();
    // The pages came from the stored items (the aggregate), not from the columns.
    expect((await renderedPage(tenant, { limit: 5 }))?.body).toBe(walked.bodies[0]);
    expect(walked.bodies).toEqual(walked.fromColumns);
    expect(walked.bodies).toHaveLength(5);
    expect(
      walked.bodies.flatMap((b) =>
        (JSON.parse(b) as { data: { id: string }[] }).data.map((d) => d.id),
      ),
    ).toHaveLength(23);

    // Rows written before list items were stored (here the 5th and the 18th listed): their pages come
    // from the columns, unchanged.
    const listed = walked.bodies.flatMap((b) =>
      (JSON.parse(b) as { data: { id: string }[] }).data.map((d) => d.id),
    );
    await h.db
      .update(assessments)
      .set({ listItem: null })
      .where(inArray(assessments.id, [listed[4] as string, listed[17] as string]));
    // A page (and the row after it) without such rows still comes from the stored items.
    expect((await renderedPage(tenant, { limit: 3 }))?.body).toBe(
      JSON.stringify(pageBody(await latestQuery(tenant, { limit: 3 }), presentSummary)),
    );
    expect(await renderedPage(tenant, { limit: 5 })).toBeUndefined();
    const mixed = await walk();
    expect([...listed].sort()).toEqual([...ids].sort());
    expect(mixed.bodies).toEqual(walked.bodies);
    expect(mixed.fromColumns).toEqual(walked.bodies);
  });

  it("validates a page by its items: 304 while unchanged, a new ETag once an assessment is added", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    for (let i = 0; i < 3; i++)
      await h.call("/v1/assessments", key, { method: "POST", json: home });
    const first = await h.call("/v1/assessments?limit=2", key);
    const etag = first.headers.get("ETag") ?? "";
    expect(etag).toMatch(/^"[0-9a-f]{16}"$/);
    const again = await h.call("/v1/assessments?limit=2", key, {
      headers: { "If-None-Match": etag },
    });
    expect(again.status).toBe(304);
    // The same items as another page size: another body, another validator.
    const wider = await h.call("/v1/assessments?limit=3", key, {
      headers: { "If-None-Match": etag },
    });
    expect(wider.status).toBe(200);
    h.clock.nowMs += 1;
    await h.call("/v1/assessments", key, { method: "POST", json: home });
    const changed = await h.call("/v1/assessments?limit=2", key, {
      headers: { "If-None-Match": etag },
    });
    expect(changed.status).toBe(200);
    expect(changed.headers.get("ETag")).not.toBe(etag);
  });

  it("answers an empty list", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const res = await h.call("/v1/assessments", key);
    expect(await res.text()).toBe('{"data":[],"hasMore":false,"nextCursor":null}');
  });
});
