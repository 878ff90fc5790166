import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { slos } from "../../core/db/schema/index.ts";
import type { AppEnv } from "../context.ts";
import { onError } from "../errors/handler.ts";
import { presentSlo } from "../routes/slos/present.ts";
import { tenantScope } from "../tenancy/tenant-scope.ts";
import { createHarness, type Harness } from "../testing/harness.ts";
import {
  ATTEMPTS,
  evaluatePreconditions,
  parseCondition,
  updateWhile,
  writeUnderPreconditions,
} from "./preconditions.ts";

type ErrorBody = { error: { code: string; message: string; details?: unknown } };

const slo = {
  name: "availability",
  service: "edge-api",
  sli: { kind: "availability" },
  objective: 0.999,
  window: { kind: "rolling", days: 30 },
};
const rule = {
  kind: "market_price",
  name: "price",
  severity: "ticket",
  labels: {},
  annotations: {},
  params: { carrier: "electricity", condition: { op: "above", thresholdEurPerKwh: 0.3 } },
};
const p256dh =
  "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM";

/** A resource with a GET and its unsafe methods: how to create one, and what each method sends. */
interface Case {
  name: string;
  /** Creates one and answers its path. */
  create(h: Harness, key: string): Promise<string>;
  method: "PUT" | "PATCH" | "DELETE";
  body?: (i: number) => unknown;
  /** The status of a success. */
  ok: number;
  /** Whether the resource is still there (GET 200) after a success. */
  stays: boolean;
}

async function post(h: Harness, key: string, path: string, json: unknown): Promise<string> {
  const res = await h.call(path, key, { method: "POST", json });
  expect(res.status, await res.clone().text()).toBe(201);
  return `${path}/${((await res.json()) as { id: string }).id}`;
}

const cases: Case[] = [
  {
    name: "SLO replace",
    create: (h, key) => post(h, key, "/v1/slos", slo),
    method: "PUT",
    body: (i) => ({ ...slo, objective: 0.9 + i / 1000 }),
    ok: 200,
    stays: true,
  },
  {
    name: "SLO delete",
    create: (h, key) => post(h, key, "/v1/slos", slo),
    method: "DELETE",
    ok: 204,
    stays: false,
  },
  {
    name: "alert rule replace",
    create: (h, key) => post(h, key, "/v1/alert-rules", rule),
    method: "PUT",
    body: (i) => ({ ...rule, name: `price ${i}` }),
    ok: 200,
    stays: true,
  },
  {
    name: "alert rule delete",
    create: (h, key) => post(h, key, "/v1/alert-rules", rule),
    method: "DELETE",
    ok: 204,
    stays: false,
  },
  {
    name: "API key revoke",
    create: (h, key) => post(h, key, "/v1/api-keys", { name: "k", scopes: ["read"] }),
    method: "DELETE",
    ok: 204,
    stays: true,
  },
  {
    name: "silence expire",
    create: (h, key) =>
      post(h, key, "/v1/silences", {
        matchers: [{ name: "severity", type: "=", value: "page" }],
        endsAt: new Date(h.clock.nowMs + 3_600_000).toISOString(),
      }),
    method: "DELETE",
    ok: 200,
    stays: true,
  },
  {
    name: "webhook update",
    create: (h, key) => post(h, key, "/v1/webhooks", { url: "https://hooks.example.com/p" }),
    method: "PATCH",
    body: (i) => ({ description: `d${i}` }),
    ok: 200,
    stays: true,
  },
  {
    name: "webhook delete",
    create: (h, key) => post(h, key, "/v1/webhooks", { url: "https://hooks.example.com/p" }),
    method: "DELETE",
    ok: 204,
    stays: false,
  },
  {
    name: "push subscription delete",
    create: (h, key) =>
      post(h, key, "/v1/push/subscriptions", {
        endpoint: `https://fcm.googleapis.com/fcm/send/pre-${crypto.randomUUID()}`,
        expirationTime: null,
        keys: { p256dh, auth: "tBHItJI5svbpez7KI4CCXg" },
      }),
    method: "DELETE",
    ok: 204,
    stays: false,
  },
  {
    name: "subscriber token revoke",
    create: (h, key) => post(h, key, "/v1/subscriber-tokens", { name: "phone" }),
    method: "DELETE",
    ok: 204,
    stays: true,
  },
  {
    name: "notification policy replace",
    create: async () => "/v1/notification-policy",
    method: "PUT",
    body: (i) => ({ inhibitRules: i % 2 ? [] : null }),
    ok: 200,
    stays: true,
  },
];

describe("conditional requests on unsafe methods (RFC 9110 §13)", () => {
  it.each(cases)(
    "$name: a false If-Match or If-None-Match is 412 and changes nothing; a true one applies",
    async (c) => {
      const h = await createHarness({ settings: { RATE_LIMIT_BURST: "1000" } });
      const { key } = await h.tenant();
      const path = await c.create(h, key);
      let i = 0;
      const send = (headers: Record<string, string>) =>
        h.call(path, key, {
          method: c.method,
          headers,
          ...(c.body ? { json: c.body(++i) } : {}),
        });
      const read = async () => {
        const res = await h.call(path, key);
        return {
          status: res.status,
          tag: res.headers.get("etag") as string,
          text: await res.text(),
        };
      };
      const before = await read();
      expect(before.status).toBe(200);
      expect(before.tag).toMatch(/^"[0-9a-f]{16}"$/);

      const falseOnes: Record<string, string>[] = [
        { "If-Match": '"nope"' },
        { "If-Match": `W/${before.tag}` },
        { "If-Match": `"nope", W/${before.tag}` },
        { "If-None-Match": "*" },
        { "If-None-Match": before.tag },
        { "If-None-Match": `"nope", W/${before.tag}` },
        // If-Match is evaluated first, and decides.
        { "If-Match": '"nope"', "If-None-Match": '"other"' },
      ];
      for (const headers of falseOnes) {
        const res = await send(headers);
        const where = `${c.method} ${JSON.stringify(headers)}`;
        expect(res.status, where).toBe(412);
        const body = (await res.json()) as ErrorBody;
        expect(body.error.code, where).toBe("precondition_failed");
        expect(body.error.details, where).toEqual({ currentETag: before.tag });
        expect(await read(), where).toEqual(before);
      }
      // A header that is no list of entity tags: 400 naming it.
      for (const [name, value] of [
        ["If-Match", "nope"],
        ["If-None-Match", 'W/"a" b'],
      ] as const) {
        const res = await send({ [name]: value });
        expect(res.status, `${name}: ${value}`).toBe(400);
        const body = (await res.json()) as ErrorBody;
        expect(body.error.details).toEqual([expect.objectContaining({ path: `header.${name}` })]);
      }
      expect(await read()).toEqual(before);

      // True conditions: the change applies.
      const applied = await send({ "If-Match": `"nope", ${before.tag}`, "If-None-Match": '"x"' });
      expect(applied.status, await applied.clone().text()).toBe(c.ok);
      const after = await read();
      expect(after.status).toBe(c.stays ? 200 : 404);
      if (!c.stays) {
        // Gone: a precondition does not turn the 404 into something else (§13.2.1).
        expect((await send({ "If-Match": "*" })).status).toBe(404);
        return;
      }
      if (c.method !== "DELETE") {
        // Changed: the old tag no longer matches, the new one does, and so does *.
        expect(after.tag).not.toBe(before.tag);
        expect((await send({ "If-Match": before.tag })).status).toBe(412);
        const again = await send({ "If-Match": after.tag });
        expect(again.status).toBe(c.ok);
        expect((await send({ "If-Match": "*" })).status).toBe(c.ok);
        expect((await send({ "If-None-Match": '"other"' })).status).toBe(c.ok);
      } else {
        // Revoked or expired in place: it still has a representation, so * matches.
        expect((await send({ "If-Match": "*" })).status).toBe(c.ok);
        expect((await send({ "If-Match": before.tag })).status).toBe(
          after.tag === before.tag ? c.ok : 412,
        );
      }
    },
  );

  it("answers 404 for a missing resource whatever the preconditions say", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    for (const headers of [{ "If-Match": "*" }, { "If-None-Match": "*" }, { "If-Match": '"a"' }]) {
      const res = await h.call("/v1/slos/slo_0000000000000000", key, {
        method: "DELETE",
        headers,
      });
      expect(res.status).toBe(404);
    }
  });

  it("another tenant's object stays a 404 under preconditions", async () => {
    const h = await createHarness();
    const owner = await h.tenant("A");
    const other = await h.tenant("B");
    const path = await post(h, owner.key, "/v1/slos", slo);
    const res = await h.call(path, other.key, { method: "DELETE", headers: { "If-Match": "*" } });
    expect(res.status).toBe(404);
    expect((await h.call(path, owner.key)).status).toBe(200);
  });
});

describe("evaluating the conditions", () => {
  it("If-Match compares strongly, If-None-Match weakly", () => {
    const strong = '"abc"';
    const ok = (header: string, value: string, tag = strong) => {
      try {
        evaluatePreconditions(
          { [header === "If-Match" ? "ifMatch" : "ifNoneMatch"]: parseCondition(header, value) },
          tag,
        );
        return true;
      } catch {
        return false;
      }
    };
    expect(ok("If-Match", '"abc"')).toBe(true);
    expect(ok("If-Match", ' "x" ,, "abc" ')).toBe(true);
    expect(ok("If-Match", "*")).toBe(true);
    expect(ok("If-Match", 'W/"abc"')).toBe(false);
    expect(ok("If-Match", '"abc"', 'W/"abc"')).toBe(false);
    expect(ok("If-Match", "*", 'W/"abc"')).toBe(true);
    expect(ok("If-Match", '"abd"')).toBe(false);
    expect(ok("If-None-Match", '"abd"')).toBe(true);
    expect(ok("If-None-Match", 'W/"abc"')).toBe(false);
    expect(ok("If-None-Match", '"abc"', 'W/"abc"')).toBe(false);
    expect(ok("If-None-Match", "*")).toBe(false);
    for (const bad of ["", ",", "abc", '"a', 'W/ "a"', '"a" "b"', '"a"b']) {
      expect(() => parseCondition("If-Match", bad), JSON.stringify(bad)).toThrow(/entity tags/);
    }
  });
});

describe("a change between the check and the write", () => {
  /** An app whose PUT replaces an SLO's objective, with a concurrent writer before each attempt. */
  function racing(h: Harness, tenantId: string, interfere: (attempt: number) => Promise<void>) {
    const app = new Hono<AppEnv>();
    app.onError(onError);
    let attempts = 0;
    app.put("/slos/:id", async (c) => {
      c.set("tenant", tenantScope(h.db, tenantId));
      const id = c.req.param("id");
      const row = await writeUnderPreconditions(
        c,
        { table: slos, id, what: "SLO", represent: (r) => r && { body: presentSlo(r) } },
        async (at) => {
          await interfere(++attempts);
          return updateWhile(c.var.tenant, slos, id, at.unchanged, { objective: 0.5 });
        },
      );
      return c.json({ objective: row.objective, attempts });
    });
    return app;
  }

  async function setUp() {
    const h = await createHarness();
    const { key, tenantId } = await h.tenant();
    const path = await post(h, key, "/v1/slos", slo);
    const id = path.split("/").at(-1) as string;
    const tag = (await h.call(path, key)).headers.get("etag") as string;
    const objective = async () =>
      (await h.db.select().from(slos).where(eq(slos.id, id)).get())?.objective;
    const concurrently = async (value: number) => {
      await h.db.update(slos).set({ objective: value }).where(eq(slos.id, id)).run();
    };
    return { h, tenantId, id, tag, objective, concurrently };
  }

  it("writes nothing and answers 412 when the change made the client's tag stale", async () => {
    const { h, tenantId, id, tag, objective, concurrently } = await setUp();
    const app = racing(h, tenantId, async (attempt) => {
      if (attempt === 1) await concurrently(0.95);
    });
    const res = await app.request(`/slos/${id}`, { method: "PUT", headers: { "If-Match": tag } });
    expect(res.status).toBe(412);
    expect(await objective()).toBe(0.95);
  });

  it("evaluates again and applies when the condition still holds (If-Match: *)", async () => {
    const { h, tenantId, id, objective, concurrently } = await setUp();
    const app = racing(h, tenantId, async (attempt) => {
      if (attempt === 1) await concurrently(0.95);
    });
    const res = await app.request(`/slos/${id}`, { method: "PUT", headers: { "If-Match": "*" } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ objective: 0.5, attempts: 2 });
    expect(await objective()).toBe(0.5);
  });

  it("gives up with 503 and Retry-After when every attempt meets a change", async () => {
    const { h, tenantId, id, objective, concurrently } = await setUp();
    const app = racing(h, tenantId, (attempt) => concurrently(0.9 + attempt / 100));
    const res = await app.request(`/slos/${id}`, { method: "PUT", headers: { "If-Match": "*" } });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(await objective()).toBe(0.9 + ATTEMPTS / 100);
  });
});
