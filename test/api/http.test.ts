/**
 * The HTTP suite of the edge API, run unchanged against Node and against workerd (wrangler dev), each
 * on a real sqld. Every test works with a fresh tenant. Per resource: happy path, errors, security
 * (auth, scopes, tenant isolation: another tenant's objects are 404 for every verb).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGridpulseClient } from "../../api/client.ts";
import type { AlertState } from "../../core/alerts/evaluate.ts";
import { alerts, marketEvents, marketPrices } from "../../core/db/schema/index.ts";
import type { MarketEvent } from "../../core/events/market-event.ts";
import { generateVapidKeys } from "../../core/notify/vapid.ts";
import { openDatabase } from "../../platform/db/open.ts";
import { type ApiRuntime, type RuntimeName, startApiRuntime } from "../support/api-runtimes.ts";
import { atticaApartment } from "../support/homes.ts";

const runtimes: RuntimeName[] = ["node", "workerd"];

/**
 * Tenant-owned resources and every verb on one object. A new resource adds one entry: how tenant A
 * creates an object, and the requests tenant B must get 404 for.
 */
interface TenantOwnedResource {
  name: string;
  create(api: ApiRuntime, key: string, tenantId: string): Promise<string>;
  verbs: { method: string; path: (id: string) => string; body?: unknown }[];
  listPath: string;
  /** Asserts the owner's object is as created (no verb of the other tenant changed it). */
  untouched(body: unknown): void;
}

const sloDefinition = {
  name: "victim SLO",
  service: "edge-api",
  sli: { kind: "availability" },
  objective: 0.999,
  window: { kind: "rolling", days: 30 },
};

const home = atticaApartment;

const priceRule = {
  kind: "market_price",
  name: "victim rule",
  severity: "ticket",
  labels: {},
  annotations: {},
  params: { carrier: "electricity", condition: { op: "above", thresholdEurPerKwh: 0.3 } },
};

/** PushSubscription.toJSON() of a browser subscribed at FCM (a fresh P-256 point and auth secret). */
const pushSubscription = {
  endpoint: "https://fcm.googleapis.com/fcm/send/gridpulse-suite",
  expirationTime: null,
  keys: {
    p256dh: (await generateVapidKeys()).publicKey,
    auth: Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64url"),
  },
};

const resources: TenantOwnedResource[] = [
  {
    name: "api-keys",
    create: async (api, key) => {
      const res = await call(api, "POST", "/v1/api-keys", key, {
        name: "victim key",
        scopes: ["read"],
      });
      return ((await res.json()) as { id: string }).id;
    },
    verbs: [
      { method: "GET", path: (id) => `/v1/api-keys/${id}` },
      { method: "DELETE", path: (id) => `/v1/api-keys/${id}` },
    ],
    listPath: "/v1/api-keys?includeRevoked=true",
    untouched: (body) => expect((body as { revokedAt: string | null }).revokedAt).toBeNull(),
  },
  {
    name: "slos",
    create: async (api, key) => {
      const res = await call(api, "POST", "/v1/slos", key, sloDefinition);
      return ((await res.json()) as { id: string }).id;
    },
    verbs: [
      { method: "GET", path: (id) => `/v1/slos/${id}` },
      { method: "GET", path: (id) => `/v1/slos/${id}/status` },
      { method: "PUT", path: (id) => `/v1/slos/${id}`, body: { ...sloDefinition, objective: 0.9 } },
      { method: "DELETE", path: (id) => `/v1/slos/${id}` },
    ],
    listPath: "/v1/slos",
    untouched: (body) => expect((body as { objective: number }).objective).toBe(0.999),
  },
  {
    name: "assessments",
    create: async (api, key) => {
      const res = await call(api, "POST", "/v1/assessments", key, home);
      return ((await res.json()) as { id: string }).id;
    },
    verbs: [
      { method: "GET", path: (id) => `/v1/assessments/${id}` },
      { method: "GET", path: (id) => `/v1/assessments/${id}/benchmark` },
      { method: "GET", path: (id) => `/v1/assessments/${id}/benchmark?against=portfolio` },
    ],
    listPath: "/v1/assessments",
    untouched: (body) => expect((body as { input: unknown }).input).toEqual(home),
  },
  {
    name: "alert-rules",
    create: async (api, key) => {
      const res = await call(api, "POST", "/v1/alert-rules", key, priceRule);
      return ((await res.json()) as { id: string }).id;
    },
    verbs: [
      { method: "GET", path: (id) => `/v1/alert-rules/${id}` },
      {
        method: "PUT",
        path: (id) => `/v1/alert-rules/${id}`,
        body: { ...priceRule, name: "hijacked", enabled: false },
      },
      { method: "DELETE", path: (id) => `/v1/alert-rules/${id}` },
    ],
    listPath: "/v1/alert-rules",
    untouched: (body) =>
      expect(body).toMatchObject({ enabled: true, rule: { name: priceRule.name } }),
  },
  {
    name: "silences",
    create: async (api, key) => {
      const res = await call(api, "POST", "/v1/silences", key, {
        matchers: [{ name: "severity", type: "=", value: "ticket" }],
        endsAt: new Date(Date.now() + 3_600_000).toISOString(),
      });
      return ((await res.json()) as { id: string }).id;
    },
    verbs: [
      { method: "GET", path: (id) => `/v1/silences/${id}` },
      { method: "DELETE", path: (id) => `/v1/silences/${id}` },
    ],
    listPath: "/v1/silences?expired=true",
    untouched: (body) => expect((body as { active: boolean }).active).toBe(true),
  },
  {
    name: "alerts",
    create: async (api, _key, tenantId) => seedFiringAlert(api, tenantId),
    verbs: [
      { method: "GET", path: (id) => `/v1/alerts/${id}` },
      { method: "POST", path: (id) => `/v1/alerts/${id}/acknowledge` },
    ],
    listPath: "/v1/alerts",
    untouched: (body) => expect((body as { acknowledgedAt: unknown }).acknowledgedAt).toBeNull(),
  },
  {
    name: "webhooks",
    create: async (api, key) => {
      const res = await call(api, "POST", "/v1/webhooks", key, {
        url: "https://hooks.example.com/gridpulse",
      });
      return ((await res.json()) as { id: string }).id;
    },
    verbs: [
      { method: "GET", path: (id) => `/v1/webhooks/${id}` },
      {
        method: "PATCH",
        path: (id) => `/v1/webhooks/${id}`,
        body: { description: "hijacked", enabled: false },
      },
      { method: "POST", path: (id) => `/v1/webhooks/${id}/rotate-secret`, body: {} },
      { method: "POST", path: (id) => `/v1/webhooks/${id}/test` },
      { method: "GET", path: (id) => `/v1/webhooks/${id}/messages` },
      { method: "GET", path: (id) => `/v1/webhooks/${id}/attempts` },
      { method: "POST", path: (id) => `/v1/webhooks/${id}/replay`, body: {} },
      { method: "DELETE", path: (id) => `/v1/webhooks/${id}` },
    ],
    listPath: "/v1/webhooks",
    untouched: (body) =>
      expect(body).toMatchObject({
        enabled: true,
        description: null,
        secrets: [expect.objectContaining({ expiresAt: null })],
      }),
  },
  {
    name: "push-subscriptions",
    create: async (api, key) => {
      const res = await call(api, "POST", "/v1/push/subscriptions", key, {
        ...pushSubscription,
        filters: { severities: ["page"] },
      });
      return ((await res.json()) as { id: string }).id;
    },
    verbs: [
      { method: "GET", path: (id) => `/v1/push/subscriptions/${id}` },
      { method: "POST", path: (id) => `/v1/push/subscriptions/${id}/test` },
      { method: "DELETE", path: (id) => `/v1/push/subscriptions/${id}` },
    ],
    listPath: "/v1/push/subscriptions",
    untouched: (body) =>
      expect((body as { filters: unknown }).filters).toEqual({ severities: ["page"] }),
  },
  {
    name: "subscriber-tokens",
    create: async (api, key) => {
      const res = await call(api, "POST", "/v1/subscriber-tokens", key, {
        name: "victim link",
        filters: { severities: ["page"] },
      });
      return ((await res.json()) as { id: string }).id;
    },
    verbs: [
      { method: "GET", path: (id) => `/v1/subscriber-tokens/${id}` },
      { method: "DELETE", path: (id) => `/v1/subscriber-tokens/${id}` },
    ],
    listPath: "/v1/subscriber-tokens",
    untouched: (body) => expect(body).toMatchObject({ name: "victim link", revokedAt: null }),
  },
];

/** A firing alert as the stream worker's evaluator writes it (the API only reads and acknowledges). */
async function seedFiringAlert(api: ApiRuntime, tenantId: string): Promise<string> {
  const fingerprint = Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) =>
    b.toString(16).padStart(2, "0"),
  ).join("");
  const nowMs = Date.now();
  const state: AlertState = {
    fingerprint,
    ruleId: "rul_0000000000000000",
    status: "firing",
    labels: { alertname: "burn", severity: "page" },
    annotations: {},
    value: 20,
    activeAtMs: nowMs - 60_000,
    firedAtMs: nowMs,
    resolvedAtMs: null,
    keepFiringSinceMs: null,
    edge: false,
    acknowledgedAtMs: null,
    acknowledgedBy: null,
  };
  const { db, close } = await openDatabase({ url: api.databaseUrl });
  try {
    await db.insert(alerts).values({
      id: fingerprint,
      tenantId,
      ruleId: state.ruleId,
      status: "firing",
      state,
      updatedAtMs: nowMs,
    });
  } finally {
    close();
  }
  return fingerprint;
}

function call(
  api: ApiRuntime,
  method: string,
  path: string,
  key?: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const init: RequestInit = { method, headers: { ...headers } };
  if (key) (init.headers as Record<string, string>).Authorization = `Bearer ${key}`;
  if (body !== undefined) {
    (init.headers as Record<string, string>)["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  return fetch(`${api.url}${path}`, init);
}

describe.each(runtimes)("edge API on %s", (runtime) => {
  let api: ApiRuntime;
  beforeAll(async () => {
    api = await startApiRuntime(runtime);
  });
  afterAll(async () => {
    await api?.stop();
  });

  describe("health", () => {
    it("is live and ready with the database latency", async () => {
      const live = await call(api, "GET", "/health/live");
      expect(live.status).toBe(200);
      expect(live.headers.get("x-request-id")).toBeTruthy();
      const ready = await call(api, "GET", "/health/ready");
      expect(ready.status).toBe(200);
      const body = (await ready.json()) as {
        checks: { database: { status: string; latencyMs: number } };
      };
      expect(body.checks.database.status).toBe("up");
    });
  });

  describe("API keys through the typed client", () => {
    it("creates, lists masked, gets and revokes", async () => {
      const { key, tenantId } = await api.tenant();
      const client = createGridpulseClient(api.url, key);
      const created = await client.v1["api-keys"].$post({
        json: { name: "ci", scopes: ["read", "write"] },
      });
      expect(created.status).toBe(201);
      if (created.status !== 201) return;
      const body = await created.json();
      expect(body.key).toMatch(/^gp_/);
      const list = await client.v1["api-keys"].$get({ query: {} });
      const listed = await list.json();
      expect("data" in listed && listed.data.map((k) => k.id)).toContain(body.id);
      expect(JSON.stringify(listed)).not.toContain(body.key);
      const me = await createGridpulseClient(api.url, body.key).v1.me.$get();
      expect(await me.json()).toMatchObject({
        tenantId,
        keyId: body.id,
        scopes: ["read", "write"],
      });
      const revoked = await client.v1["api-keys"][":id"].$delete({ param: { id: body.id } });
      expect(revoked.status).toBe(204);
      expect((await createGridpulseClient(api.url, body.key).v1.me.$get()).status).toBe(401);
    });
  });

  describe("errors", () => {
    it("400 with field paths, 404, 405 with Allow, 413 and 415", async () => {
      const { key } = await api.tenant();
      const invalid = await call(api, "POST", "/v1/api-keys", key, { name: "", scopes: [] });
      expect(invalid.status).toBe(400);
      const details = ((await invalid.json()) as { error: { details: { path: string }[] } }).error
        .details;
      expect(details.map((d) => d.path).sort()).toEqual(["body.name", "body.scopes"]);
      expect((await call(api, "GET", "/v1/nothing-here", key)).status).toBe(404);
      const notAllowed = await call(api, "PATCH", "/v1/me", key, {});
      expect(notAllowed.status).toBe(405);
      expect(notAllowed.headers.get("allow")).toBe("GET, HEAD");
      const tooLarge = await call(api, "POST", "/v1/api-keys", key, {
        name: "x".repeat(70_000),
        scopes: ["read"],
      });
      expect(tooLarge.status).toBe(413);
      const wrongType = await fetch(`${api.url}/v1/api-keys`, {
        method: "POST",
        headers: { Authorization: `Bearer ${key}`, "Content-Type": "text/plain" },
        body: "hello",
      });
      expect(wrongType.status).toBe(415);
      // Valid by the schema, refused by the engine (on Node in an assessment worker thread).
      const nextYear = new Date().getUTCFullYear() + 1;
      const refused = await call(api, "POST", "/v1/assessments", key, {
        location: { prefecture: "Attica" },
        buildingType: "apartment",
        constructionYear: nextYear,
        heatedFloorAreaM2: 80,
      });
      expect(refused.status).toBe(400);
      const refusal = (
        (await refused.json()) as {
          error: { code: string; details: { path: string; message: string }[] };
        }
      ).error;
      expect(refusal.code).toBe("validation_failed");
      expect(refusal.details).toEqual([
        expect.objectContaining({
          path: "body.constructionYear",
          message: expect.stringContaining(`${nextYear} is in the future`),
        }),
      ]);
      for (const res of [invalid, notAllowed, tooLarge, wrongType, refused]) {
        expect(res.headers.get("content-type")).toContain("application/json");
      }
    });

    it("429 with Retry-After when a key exceeds its rate limit, other keys unaffected", async () => {
      const a = await api.tenant();
      const b = await api.tenant();
      const statuses: number[] = [];
      let limited: Response | undefined;
      for (let i = 0; i < 8; i++) {
        const res = await call(api, "GET", "/v1/me", a.key);
        statuses.push(res.status);
        if (res.status === 429) limited ??= res;
      }
      expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
      expect(statuses.at(-1)).toBe(429);
      expect(Number(limited?.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect((await call(api, "GET", "/v1/me", b.key)).status).toBe(200);
    });
  });

  describe("security", () => {
    it("401 with WWW-Authenticate for missing and bad keys; 403 for a missing scope", async () => {
      const missing = await call(api, "GET", "/v1/me");
      expect(missing.status).toBe(401);
      expect(missing.headers.get("www-authenticate")).toBe('Bearer realm="gridpulse"');
      const bad = await call(api, "GET", "/v1/me", `gp_${"x".repeat(43)}`);
      expect(bad.status).toBe(401);
      expect(bad.headers.get("www-authenticate")).toContain('error="invalid_token"');
      const { key } = await api.tenant();
      const reader = (await (
        await call(api, "POST", "/v1/api-keys", key, { name: "r", scopes: ["read"] })
      ).json()) as {
        key: string;
      };
      const forbidden = await call(api, "GET", "/v1/api-keys", reader.key);
      expect(forbidden.status).toBe(403);
      expect(forbidden.headers.get("www-authenticate")).toContain("insufficient_scope");
    });

    it("sets security headers and CORS for the configured origin", async () => {
      const res = await call(api, "GET", "/health/live", undefined, undefined, {
        Origin: "https://app.example.com",
      });
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
      expect(res.headers.get("server-timing")).toContain("total");
    });

    describe.each(resources)("tenant isolation: $name", (resource) => {
      it("another tenant gets 404 for every verb and never sees the object in lists", async () => {
        const owner = await api.tenant("A");
        const other = await api.tenant("B");
        const id = await resource.create(api, owner.key, owner.tenantId);
        // A key per request keeps the other tenant under the per-key burst of the suite's limit.
        for (const verb of resource.verbs) {
          const key = await api.key(other.tenantId);
          const res = await call(api, verb.method, verb.path(id), key, verb.body);
          expect(res.status, `${verb.method} ${verb.path(id)}`).toBe(404);
        }
        const list = await (
          await call(api, "GET", resource.listPath, await api.key(other.tenantId))
        ).text();
        expect(list).not.toContain(id);
        // The owner still has it, untouched by the other tenant's attempts.
        const own = await call(api, "GET", resource.verbs[0]?.path(id) as string, owner.key);
        expect(own.status).toBe(200);
        resource.untouched(await own.json());
      });
    });
  });

  describe("the subscriber page and subscriber tokens", () => {
    it("serves the page, its worker and manifest under a strict CSP; a token manages its own subscription", async () => {
      for (const [path, type] of [
        ["/subscribe/", "text/html"],
        ["/subscribe/app.js", "text/javascript"],
        ["/subscribe/sw.js", "text/javascript"],
        ["/subscribe/manifest.webmanifest", "application/manifest+json"],
        ["/subscribe/icon-192.png", "image/png"],
      ] as const) {
        const res = await fetch(`${api.url}${path}`);
        expect(res.status, path).toBe(200);
        expect(res.headers.get("content-type")).toContain(type);
        expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
        expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
        const etag = res.headers.get("etag") as string;
        await res.arrayBuffer();
        const again = await fetch(`${api.url}${path}`, { headers: { "If-None-Match": etag } });
        expect(again.status, path).toBe(304);
      }
      const redirect = await fetch(`${api.url}/subscribe`, { redirect: "manual" });
      expect(redirect.status).toBe(308);
      expect(redirect.headers.get("location")).toBe("/subscribe/");

      const { key } = await api.tenant();
      const created = await call(api, "POST", "/v1/subscriber-tokens", key, {
        name: "phone",
        filters: { severities: ["page"] },
      });
      expect(created.status).toBe(201);
      const { token, id } = (await created.json()) as { token: string; id: string };
      const sub = await call(api, "POST", "/v1/subscriber/subscriptions", token, {
        ...pushSubscription,
        endpoint: `${pushSubscription.endpoint}-${runtime}-subscriber`,
      });
      expect(sub.status).toBe(201);
      expect(((await sub.json()) as { filters: unknown }).filters).toEqual({
        severities: ["page"],
      });
      expect((await call(api, "GET", "/v1/alerts", token)).status).toBe(401);
      expect((await call(api, "DELETE", `/v1/subscriber-tokens/${id}`, key)).status).toBe(204);
      const revoked = await call(api, "GET", "/v1/subscriber/subscriptions", token);
      expect(revoked.status).toBe(401);
      expect(await revoked.json()).toMatchObject({
        error: { code: "unauthorized", details: { reason: "revoked" } },
      });
    });
  });

  describe("benchmarks", () => {
    it("keeps portfolio statistics in the assessment's transaction and ranks against them", async () => {
      const { key, tenantId } = await api.tenant();
      const ids: string[] = [];
      for (const year of [1965, 1985, 2005]) {
        const res = await call(api, "POST", "/v1/assessments", key, {
          ...home,
          constructionYear: year,
        });
        expect(res.status).toBe(201);
        ids.push(((await res.json()) as { id: string }).id);
      }
      const stats = await call(api, "GET", "/v1/benchmarks?against=portfolio", key);
      expect(stats.status).toBe(200);
      const body = (await stats.json()) as {
        statistics: { homes: number; cohort: { key: string }; classes: { homes: number }[] };
        note: string;
      };
      expect(body.statistics.homes).toBe(3);
      expect(body.statistics.cohort.key).toBe("*");
      expect(body.statistics.classes.reduce((a, c) => a + c.homes, 0)).toBe(3);
      expect(body.note).toMatch(/indicative/);
      const ranked = await call(
        api,
        "GET",
        `/v1/assessments/${ids[0]}/benchmark?against=portfolio`,
        key,
      );
      expect(ranked.status).toBe(200);
      const rank = (await ranked.json()) as {
        lessEnergyThanPct: number;
        national: { homes: number };
      };
      expect(rank.lessEnergyThanPct).toBeCloseTo(100 / 6, 6); // the oldest home: 0 above, itself half
      expect(rank.national.homes).toBe(3);

      // A fourth home moves the portfolio since its summary was loaded: ranks are read fresh from the
      // bins (one statement, from the side with fewer bins), exactly as counting the homes gives them.
      const more = await api.key(tenantId); // past the first key's burst
      const fourth = await call(api, "POST", "/v1/assessments", more, {
        ...home,
        constructionYear: 1975,
        heatedFloorAreaM2: 140,
      });
      expect(fourth.status).toBe(201);
      ids.push(((await fourth.json()) as { id: string }).id);
      type Ranked = {
        lessEnergyThanPct: number;
        home: { primaryEnergyKwhM2: number };
        statistics: { homes: number };
      };
      const answers: Ranked[] = [];
      const reader = await api.key(tenantId);
      for (const id of ids) {
        const res = await call(
          api,
          "GET",
          `/v1/assessments/${id}/benchmark?against=portfolio`,
          reader,
        );
        expect(res.status).toBe(200);
        answers.push((await res.json()) as Ranked);
      }
      const bins = answers.map((a) => Math.floor(a.home.primaryEnergyKwhM2 / 0.5));
      for (const [i, a] of answers.entries()) {
        const bin = bins[i] as number;
        const above = bins.filter((b) => b > bin).length;
        const tied = bins.filter((b) => b === bin).length;
        expect(a.statistics.homes).toBe(4);
        expect(a.lessEnergyThanPct).toBeCloseTo((100 * (above + tied / 2)) / 4, 6);
      }
    });
  });

  describe("market data (shared reference data)", () => {
    it("needs a key; every tenant reads the same prices and pages through the same history", async () => {
      const t0 = Date.UTC(2026, 10, 1);
      const prices: MarketEvent[] = [
        ["p-nat", undefined, 0.21],
        ["p-att", "Attica", 0.26],
        ["p-cre", "Crete", 0.24],
      ].map(([id, region, value], i) => ({
        id: id as string,
        ts: t0 + i * 1000,
        kind: "price",
        market: "GR",
        carrier: "electricity",
        ...(region ? { region: region as string } : {}),
        value: value as number,
        unit: "EUR/kWh",
      }));
      const { db, close } = await openDatabase({ url: api.databaseUrl });
      try {
        await db.delete(marketEvents);
        await db.delete(marketPrices);
        await db.insert(marketEvents).values(
          prices.map((event, i) => ({
            id: event.id,
            kind: event.kind,
            tsMs: event.ts,
            carrier: "electricity",
            region: (event.kind === "price" && event.region) || "",
            event,
            topic: "market.events.v1",
            partition: 0,
            offset: String(i),
            receivedAtMs: t0,
          })),
        );
        await db.insert(marketPrices).values(
          prices.map((event) => ({
            carrier: "electricity",
            region: (event.kind === "price" && event.region) || "",
            eurPerKwh: event.kind === "price" ? event.value : 0,
            asOfMs: event.ts,
            source: "market.events.v1",
            eventId: event.id,
            updatedAtMs: t0,
          })),
        );
      } finally {
        close();
      }
      for (const path of ["/v1/market/prices", "/v1/market/events"]) {
        expect((await call(api, "GET", path)).status, path).toBe(401);
      }
      const a = await api.tenant("A");
      const b = await api.tenant("B");
      const attica = (await (
        await call(api, "GET", "/v1/market/prices?region=Attica", a.key)
      ).json()) as { data: { eurPerKwh: number; asOf: string; source: string }[] };
      expect(attica.data).toEqual([
        expect.objectContaining({
          eurPerKwh: 0.26,
          asOf: "2026-11-01T00:00:01.000Z",
          source: "market.events.v1",
        }),
      ]);
      const all = await (await call(api, "GET", "/v1/market/prices", a.key)).text();
      expect(await (await call(api, "GET", "/v1/market/prices", b.key)).text()).toBe(all);
      type Page = { data: { id: string }[]; nextCursor: string | null };
      const first = (await (
        await call(api, "GET", "/v1/market/events?limit=2", b.key)
      ).json()) as Page;
      expect(first.data.map((e) => e.id)).toEqual(["p-cre", "p-att"]);
      const second = (await (
        await call(api, "GET", `/v1/market/events?limit=2&cursor=${first.nextCursor}`, a.key)
      ).json()) as Page;
      expect(second).toEqual({
        data: [expect.objectContaining({ id: "p-nat" })],
        hasMore: false,
        nextCursor: null,
      });
      const bad = await call(api, "GET", "/v1/market/events?cursor=zzz", a.key);
      expect(bad.status).toBe(400);
    });
  });

  describe("alerts and notifications", () => {
    type ErrorBody = { error: { code: string; message: string; details: { path: string }[] } };

    it("webhook secrets are shown once: at creation and at rotation", async () => {
      const { tenantId, key } = await api.tenant();
      const created = await call(api, "POST", "/v1/webhooks", key, {
        url: "https://hooks.example.com/once",
        format: "alertmanager",
      });
      expect(created.status).toBe(201);
      const endpoint = (await created.json()) as { id: string; secret: string };
      expect(endpoint.secret).toMatch(/^whsec_/);
      for (const path of ["/v1/webhooks", `/v1/webhooks/${endpoint.id}`]) {
        const text = await (await call(api, "GET", path, key)).text();
        expect(text).toContain(endpoint.id);
        expect(text, path).not.toContain("whsec_");
      }
      const key2 = await api.key(tenantId);
      const rotated = await call(api, "POST", `/v1/webhooks/${endpoint.id}/rotate-secret`, key2, {
        graceMs: 60_000,
      });
      expect(rotated.status).toBe(200);
      const body = (await rotated.json()) as {
        secret: string;
        secrets: { expiresAt: string | null }[];
      };
      expect(body.secret).toMatch(/^whsec_/);
      expect(body.secret).not.toBe(endpoint.secret);
      expect(body.secrets.map((s) => s.expiresAt === null)).toEqual([true, false]);
      expect(
        await (await call(api, "GET", `/v1/webhooks/${endpoint.id}`, key2)).text(),
      ).not.toContain("whsec_");
      // Test-send: an outbox message the endpoint's log shows.
      const test = await call(api, "POST", `/v1/webhooks/${endpoint.id}/test`, key2);
      expect(test.status).toBe(202);
      const { messageId } = (await test.json()) as { messageId: string };
      const messages = (await (
        await call(api, "GET", `/v1/webhooks/${endpoint.id}/messages`, key2)
      ).json()) as { data: { id: string; trigger: string; status: string }[] };
      expect(messages.data).toEqual([
        expect.objectContaining({ id: messageId, trigger: "test", status: "pending" }),
      ]);
    });

    it("refuses local and non-push URLs with a clear 400", async () => {
      const { tenantId } = await api.tenant();
      const refusals: [string, string, unknown, RegExp][] = [
        ["/v1/webhooks", "body.url", { url: "http://127.0.0.1/hook" }, /loopback/],
        ["/v1/webhooks", "body.url", { url: "http://10.0.0.1/hook" }, /private/],
        ["/v1/webhooks", "body.url", { url: "https://169.254.169.254/x" }, /link-local/],
        ["/v1/webhooks", "body.url", { url: "http://[::1]/hook" }, /loopback/],
        ["/v1/webhooks", "body.url", { url: "http://[::ffff:127.0.0.1]/hook" }, /IPv4-mapped/],
        ["/v1/webhooks", "body.url", { url: "http://100.64.0.1/hook" }, /carrier-grade NAT/],
        [
          "/v1/push/subscriptions",
          "body.endpoint",
          { ...pushSubscription, endpoint: "https://push.attacker.example/x" },
          /not a known push service/,
        ],
        [
          "/v1/push/subscriptions",
          "body.endpoint",
          { ...pushSubscription, endpoint: "https://127.0.0.1/push" },
          /loopback/,
        ],
      ];
      for (const [path, field, body, reason] of refusals) {
        const res = await call(api, "POST", path, await api.key(tenantId), body);
        expect(res.status, JSON.stringify(body)).toBe(400);
        const error = ((await res.json()) as ErrorBody).error;
        expect(error.code).toBe("validation_failed");
        expect(error.message, JSON.stringify(body)).toMatch(reason);
        expect(error.details.map((d) => d.path)).toEqual([field]);
      }
      const list = await call(api, "GET", "/v1/webhooks", await api.key(tenantId));
      expect(((await list.json()) as { data: unknown[] }).data).toEqual([]);
    });

    it("validation errors name the fields", async () => {
      const { tenantId } = await api.tenant();
      const cases: [string, string, unknown, string[]][] = [
        [
          "POST",
          "/v1/alert-rules",
          { ...priceRule, severity: "urgent", for: -1 },
          ["body.severity", "body.for"],
        ],
        [
          "POST",
          "/v1/silences",
          { matchers: [], endsAt: "tomorrow" },
          ["body.matchers", "body.endsAt"],
        ],
        [
          "PUT",
          "/v1/notification-policy",
          { route: { group_wait: -5 } },
          ["body.route.group_wait"],
        ],
        [
          "POST",
          "/v1/push/subscriptions",
          { ...pushSubscription, keys: { p256dh: "AAAA", auth: "AAAA" } },
          ["body.keys.p256dh", "body.keys.auth"],
        ],
        [
          "POST",
          "/v1/webhooks",
          { url: "https://ok.example.com", format: "slack" },
          ["body.format"],
        ],
      ];
      for (const [method, path, body, fields] of cases) {
        const res = await call(api, method, path, await api.key(tenantId), body);
        expect(res.status, path).toBe(400);
        const details = ((await res.json()) as ErrorBody).error.details;
        expect(details.map((d) => d.path).sort(), path).toEqual([...fields].sort());
      }
    });

    it("acknowledges a firing alert once; the policy is per tenant; one VAPID key", async () => {
      const a = await api.tenant("A");
      const b = await api.tenant("B");
      const id = await seedFiringAlert(api, a.tenantId);
      const active = (await (await call(api, "GET", "/v1/alerts?status=active", a.key)).json()) as {
        data: { id: string }[];
      };
      expect(active.data.map((x) => x.id)).toEqual([id]);
      const acked = await call(api, "POST", `/v1/alerts/${id}/acknowledge`, a.key);
      expect(acked.status).toBe(200);
      const ackedAt = ((await acked.json()) as { acknowledgedAt: string }).acknowledgedAt;
      expect(ackedAt).toBeTruthy();
      const again = await call(api, "POST", `/v1/alerts/${id}/acknowledge`, a.key);
      expect(((await again.json()) as { acknowledgedAt: string }).acknowledgedAt).toBe(ackedAt);

      const put = await call(api, "PUT", "/v1/notification-policy", b.key, {
        route: { group_by: ["slo_id"] },
        inhibitRules: [],
      });
      expect(put.status).toBe(200);
      const mine = (await (await call(api, "GET", "/v1/notification-policy", b.key)).json()) as {
        route: { group_by: string[] };
        isDefault: boolean;
      };
      expect(mine).toMatchObject({ route: { group_by: ["slo_id"] }, isDefault: false });
      const theirs = (await (await call(api, "GET", "/v1/notification-policy", a.key)).json()) as {
        isDefault: boolean;
      };
      expect(theirs.isDefault).toBe(true);

      const keys = await Promise.all(
        [a.key, b.key].map(async (k) => {
          const res = await call(api, "GET", "/v1/push/vapid-public-key", k);
          return ((await res.json()) as { publicKey: string }).publicKey;
        }),
      );
      expect(keys[0]).toMatch(/^[A-Za-z0-9_-]{87}$/);
      expect(keys[1]).toBe(keys[0]);
    });
  });

  describe("OpenAPI", () => {
    it("serves the same document on both runtimes", async () => {
      const doc = (await (await call(api, "GET", "/openapi.json")).json()) as {
        openapi: string;
        paths: object;
      };
      expect(doc.openapi).toBe("3.1.0");
      expect(Object.keys(doc.paths)).toContain("/v1/api-keys/{id}");
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining([
          "/v1/market/prices",
          "/v1/market/events",
          "/v1/alerts/{id}/acknowledge",
          "/v1/webhooks/{id}/replay",
          "/v1/push/vapid-public-key",
        ]),
      );
    });
  });
});
