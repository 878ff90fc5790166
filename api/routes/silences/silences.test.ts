import { describe, expect, it } from "vitest";
import { createHarness } from "../../testing/harness.ts";

type Silence = { id: string; active: boolean; startsAt: string; endsAt: string; createdBy: string };
type ErrorBody = { error: { details: { path: string; message: string }[] } };

const matchers = [{ name: "severity", type: "=", value: "ticket" }];

describe("/v1/silences", () => {
  it("creates, lists unexpired, gets and expires", async () => {
    const h = await createHarness();
    const { key, keyId } = await h.tenant();
    const endsAt = new Date(h.clock.nowMs + 3_600_000).toISOString();
    const res = await h.call("/v1/silences", key, {
      method: "POST",
      json: { matchers, endsAt, comment: "maintenance" },
    });
    expect(res.status).toBe(201);
    const silence = (await res.json()) as Silence;
    expect(silence).toMatchObject({
      active: true,
      startsAt: new Date(h.clock.nowMs).toISOString(),
      endsAt,
      createdBy: keyId,
    });
    const list = (await (await h.call("/v1/silences", key)).json()) as { data: Silence[] };
    expect(list.data.map((s) => s.id)).toEqual([silence.id]);
    h.clock.nowMs += 60_000;
    const expired = await h.call(`/v1/silences/${silence.id}`, key, { method: "DELETE" });
    expect(expired.status).toBe(200);
    expect(await expired.json()).toMatchObject({
      active: false,
      endsAt: new Date(h.clock.nowMs).toISOString(),
    });
    expect(((await (await h.call("/v1/silences", key)).json()) as { data: [] }).data).toEqual([]);
    const all = (await (await h.call("/v1/silences?expired=true", key)).json()) as {
      data: Silence[];
    };
    expect(all.data).toHaveLength(1);
  });

  it("expiring a silence that has not started leaves a window already over", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const startsAt = new Date(h.clock.nowMs + 3_600_000).toISOString();
    const endsAt = new Date(h.clock.nowMs + 7_200_000).toISOString();
    const s = (await (
      await h.call("/v1/silences", key, { method: "POST", json: { matchers, startsAt, endsAt } })
    ).json()) as Silence;
    const expired = (await (
      await h.call(`/v1/silences/${s.id}`, key, { method: "DELETE" })
    ).json()) as Silence;
    expect(Date.parse(expired.startsAt)).toBeLessThan(Date.parse(expired.endsAt));
    expect(Date.parse(expired.endsAt)).toBe(h.clock.nowMs);
    h.clock.nowMs += 3_600_000;
    expect(((await (await h.call(`/v1/silences/${s.id}`, key)).json()) as Silence).active).toBe(
      false,
    );
  });

  it("400 for silences muting everything, ending before they start or in the past", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const future = new Date(h.clock.nowMs + 3_600_000).toISOString();
    const cases: [unknown, string][] = [
      [{ matchers: [{ name: "x", type: "=~", value: ".*" }], endsAt: future }, "body.matchers"],
      [{ matchers, startsAt: future, endsAt: future }, "body.endsAt"],
      [{ matchers, endsAt: new Date(h.clock.nowMs - 1000).toISOString() }, "body.endsAt"],
      [{ matchers: [], endsAt: future }, "body.matchers"],
      [
        { matchers: [{ name: "a", type: "=~", value: "(" }], endsAt: future },
        "body.matchers.0.value",
      ],
    ];
    for (const [json, path] of cases) {
      const res = await h.call("/v1/silences", key, { method: "POST", json });
      expect(res.status, JSON.stringify(json)).toBe(400);
      const details = ((await res.json()) as ErrorBody).error.details;
      expect(details.map((d) => d.path)).toContain(path);
    }
  });
});
