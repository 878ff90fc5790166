import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { hashApiKey } from "../../../core/auth/api-keys.ts";
import { outbox, pushSubscriptions, subscriberTokens } from "../../../core/db/schema/index.ts";
import { createHarness, type Harness } from "../../testing/harness.ts";
import { insertNotifiedAlert } from "../../testing/notified-alert.ts";

type Token = { id: string; token: string; link: string; start: string; subscriptions: number };
type Subscription = { id: string; endpoint: string; filters: Record<string, string[]> };

const keys = {
  // An uncompressed P-256 point and 16 bytes, as PushSubscription.toJSON() gives them.
  p256dh: "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
  auth: "BTBZMqHH6r4Tts7J_aSIgg",
};
const endpoint = (n: number | string) => `https://fcm.googleapis.com/fcm/send/device-${n}`;

async function newToken(h: Harness, key: string, body: Record<string, unknown> = {}) {
  const res = await h.call("/v1/subscriber-tokens", key, {
    method: "POST",
    json: { name: "phone", ...body },
  });
  expect(res.status).toBe(201);
  return (await res.json()) as Token;
}

const subscribe = (h: Harness, token: string, n: number | string, filters = {}) =>
  h.call("/v1/subscriber/subscriptions", token, {
    method: "POST",
    json: { endpoint: endpoint(n), keys, filters },
  });

/** An alert row as the evaluator leaves it, and the push message written for `subscriptionId`. */
const notified = (h: Harness, tenantId: string, fingerprint: string, subscriptionId: string) =>
  insertNotifiedAlert(h.db, { tenantId, fingerprint, subscriptionId, nowMs: h.clock.nowMs });

describe("subscriber tokens: lifecycle", () => {
  it("a write key creates a token shown once (stored hashed), lists, gets and revokes it", async () => {
    const h = await createHarness();
    const admin = await h.tenant();
    const token = await newToken(h, admin.key, { filters: { severities: ["page"] } });
    expect(token.token).toMatch(/^gps_[0-9A-Za-z]{43}$/);
    expect(token.link).toBe(`http://localhost/subscribe/#token=${token.token}`);
    expect(token.start).toBe(`${token.token.slice(0, 10)}…`);
    const stored = await h.db.select().from(subscriberTokens).all();
    expect(JSON.stringify(stored)).not.toContain(token.token);
    expect(stored[0]?.tokenHash).toBe(await hashApiKey(token.token));
    expect(stored[0]?.expiresAtMs).toBe(h.clock.nowMs + 90 * 24 * 3_600_000);

    expect((await subscribe(h, token.token, 1)).status).toBe(201);
    const list = (await (await h.call("/v1/subscriber-tokens", admin.key)).json()) as {
      data: Token[];
    };
    expect(list.data).toMatchObject([{ id: token.id, subscriptions: 1 }]);
    expect(JSON.stringify(list)).not.toContain(token.token);

    expect(
      (await h.call(`/v1/subscriber-tokens/${token.id}`, admin.key, { method: "DELETE" })).status,
    ).toBe(204);
    const revoked = await h.call("/v1/subscriber", token.token);
    expect(revoked.status).toBe(401);
    expect(await revoked.json()).toEqual({
      error: {
        code: "unauthorized",
        message: "this subscriber token was revoked",
        details: { reason: "revoked" },
      },
    });
    // Its subscriptions went with it; the token stays listed as revoked.
    expect(
      (
        (await (await h.call("/v1/push/subscriptions", admin.key)).json()) as {
          data: unknown[];
        }
      ).data,
    ).toEqual([]);
    expect((await (await h.call("/v1/subscriber-tokens", admin.key)).json()) as object).toEqual({
      data: [],
      hasMore: false,
      nextCursor: null,
    });
    const all = (await (
      await h.call("/v1/subscriber-tokens?includeRevoked=true", admin.key)
    ).json()) as { data: (Token & { revokedAt: string })[] };
    expect(all.data[0]?.revokedAt).toBe(new Date(h.clock.nowMs).toISOString());
    expect(JSON.stringify(h.logs)).not.toContain(token.token);
  });

  it("expires at its expiry time; expiries past 366 days or in the past are refused", async () => {
    const h = await createHarness();
    const admin = await h.tenant();
    const expiresAt = new Date(h.clock.nowMs + 60_000).toISOString();
    const token = await newToken(h, admin.key, { expiresAt });
    expect((await h.call("/v1/subscriber", token.token)).status).toBe(200);
    h.clock.nowMs += 60_000;
    const expired = await h.call("/v1/subscriber", token.token);
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as { error: { details: unknown } }).error.details).toEqual({
      reason: "expired",
    });
    for (const late of [h.clock.nowMs - 1, h.clock.nowMs + 367 * 24 * 3_600_000]) {
      const res = await h.call("/v1/subscriber-tokens", admin.key, {
        method: "POST",
        json: { name: "x", expiresAt: new Date(late).toISOString() },
      });
      expect(res.status).toBe(400);
    }
  });

  it("needs the write scope to manage tokens", async () => {
    const h = await createHarness();
    const admin = await h.tenant();
    const reader = (await (
      await h.call("/v1/api-keys", admin.key, {
        method: "POST",
        json: { name: "r", scopes: ["read"] },
      })
    ).json()) as { key: string };
    expect((await h.call("/v1/subscriber-tokens", reader.key)).status).toBe(403);
  });
});

describe("subscriber tokens: what a token may do", () => {
  it("registers within the token's bounds, sees and deletes only its own subscriptions", async () => {
    const h = await createHarness();
    const admin = await h.tenant();
    const a = await newToken(h, admin.key, {
      filters: { severities: ["page", "ticket"] },
      maxSubscriptions: 2,
    });
    const b = await newToken(h, admin.key);
    const me = (await (await h.call("/v1/subscriber", a.token)).json()) as Record<string, unknown>;
    expect(me).toMatchObject({ tokenId: a.id, filters: { severities: ["page", "ticket"] } });
    expect(me.vapidPublicKey).toMatch(/^[A-Za-z0-9_-]{87}$/);

    // Open criteria take the bounds; a subset is kept; anything else is refused with its path.
    const open = (await (await subscribe(h, a.token, 1)).json()) as Subscription;
    expect(open.filters).toEqual({ severities: ["page", "ticket"] });
    const narrow = await subscribe(h, a.token, 1, { severities: ["page"], regions: ["crete"] });
    expect(narrow.status).toBe(200);
    expect(((await narrow.json()) as Subscription).filters).toEqual({
      severities: ["page"],
      regions: ["crete"],
    });
    const outside = await subscribe(h, a.token, 2, { severities: ["info"] });
    expect(outside.status).toBe(400);
    expect(
      ((await outside.json()) as { error: { details: { path: string }[] } }).error.details[0]?.path,
    ).toBe("body.filters.severities.0");

    // At most maxSubscriptions; an endpoint another token holds is not taken over.
    expect((await subscribe(h, a.token, 2)).status).toBe(201);
    expect((await subscribe(h, a.token, 3)).status).toBe(409);
    expect((await subscribe(h, b.token, 2)).status).toBe(409);
    const mineB = (await (await subscribe(h, b.token, 4)).json()) as Subscription;

    const listA = (await (await h.call("/v1/subscriber/subscriptions", a.token)).json()) as {
      data: Subscription[];
    };
    expect(listA.data.map((s) => s.endpoint).sort()).toEqual([endpoint(1), endpoint(2)]);
    // Another token's subscription: 404 on every verb.
    for (const [method, path] of [
      ["DELETE", `/v1/subscriber/subscriptions/${mineB.id}`],
      ["POST", `/v1/subscriber/subscriptions/${mineB.id}/test`],
    ] as const)
      expect((await h.call(path, a.token, { method })).status).toBe(404);
    const own = listA.data[0] as Subscription;
    const queued = await h.call(`/v1/subscriber/subscriptions/${own.id}/test`, a.token, {
      method: "POST",
    });
    expect(queued.status).toBe(202);
    expect(
      (await h.call(`/v1/subscriber/subscriptions/${own.id}`, a.token, { method: "DELETE" }))
        .status,
    ).toBe(204);
    // The pending test message was cancelled with it.
    const rows = await h.db.select().from(outbox).all();
    expect(rows.map((r) => r.status)).toEqual(["cancelled"]);
  });

  it("replaces a subscription in one step (replaces: its id), at the token's cap and the tenant's", async () => {
    const h = await createHarness({ settings: { PUSH_SUBSCRIPTIONS_MAX: "3" } });
    const admin = await h.tenant();
    const a = await newToken(h, admin.key, { maxSubscriptions: 1 });
    const b = await newToken(h, admin.key, { maxSubscriptions: 1 });
    const old = (await (
      await subscribe(h, a.token, "old", { severities: ["page"] })
    ).json()) as Subscription;
    const theirs = (await (await subscribe(h, b.token, "theirs")).json()) as Subscription;
    await h.call(`/v1/subscriber/subscriptions/${old.id}/test`, a.token, { method: "POST" });
    const replace = (n: string, replaces: string, token = a.token) =>
      h.call("/v1/subscriber/subscriptions", token, {
        method: "POST",
        json: { endpoint: endpoint(n), keys, filters: { severities: ["page"] }, replaces },
      });
    const listOf = async (token: string) =>
      (
        (await (await h.call("/v1/subscriber/subscriptions", token)).json()) as {
          data: Subscription[];
        }
      ).data;

    // Without replaces the token's cap refuses a second endpoint; naming the old one, it takes its place.
    expect((await subscribe(h, a.token, "new")).status).toBe(409);
    const replaced = await replace("new", old.id);
    expect(replaced.status).toBe(201);
    const created = (await replaced.json()) as Subscription;
    expect(created.filters).toEqual({ severities: ["page"] });
    expect((await listOf(a.token)).map((s) => s.endpoint)).toEqual([endpoint("new")]);
    // The old row's pending message went with it.
    expect((await h.db.select().from(outbox).all()).map((r) => [r.targetId, r.status])).toEqual([
      [old.id, "cancelled"],
    ]);

    // Another token's subscription is never replaced: it stays, and the caps count it.
    expect((await replace("other", theirs.id)).status).toBe(409);
    expect((await listOf(b.token)).map((s) => s.id)).toEqual([theirs.id]);
    expect((await replace("other", theirs.id, b.token)).status).toBe(201);
    expect((await listOf(b.token)).map((s) => s.endpoint)).toEqual([endpoint("other")]);

    // The tenant is at PUSH_SUBSCRIPTIONS_MAX (3): a replacement still takes the old row's place.
    const c = await newToken(h, admin.key, { maxSubscriptions: 1 });
    const mineC = (await (await subscribe(h, c.token, "c-old")).json()) as Subscription;
    expect((await subscribe(h, c.token, "c-more")).status).toBe(409);
    // An endpoint another live token holds is not taken over, and the old row stays.
    const refused = await replace("new", mineC.id, c.token);
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toBe(
      "this endpoint is registered by someone else",
    );
    expect((await listOf(c.token)).map((s) => s.id)).toEqual([mineC.id]);
    expect((await replace("c-new", mineC.id, c.token)).status).toBe(201);
    expect((await listOf(c.token)).map((s) => s.endpoint)).toEqual([endpoint("c-new")]);
    expect(await h.db.select().from(pushSubscriptions).all()).toHaveLength(3);

    // The same endpoint again with replaces naming that very row: an update, nothing deleted.
    const again = await replace("new", created.id);
    expect(again.status).toBe(200);
    expect((await listOf(a.token)).map((s) => s.id)).toEqual([created.id]);
    // replaces must be a subscription id.
    const bad = await replace("x", "nope");
    expect(bad.status).toBe(400);
    expect(
      ((await bad.json()) as { error: { details: { path: string }[] } }).error.details[0]?.path,
    ).toBe("body.replaces");
  });

  it("takes over an endpoint whose token expired or was revoked; such rows count in no cap; other tenants' rows stay", async () => {
    const h = await createHarness({ settings: { PUSH_SUBSCRIPTIONS_MAX: "2" } });
    const one = await h.tenant("one");
    const two = await h.tenant("two");
    const expiring = await newToken(h, one.key, {
      expiresAt: new Date(h.clock.nowMs + 60_000).toISOString(),
    });
    const elsewhere = await newToken(h, two.key, {
      expiresAt: new Date(h.clock.nowMs + 60_000).toISOString(),
    });
    const first = (await (await subscribe(h, expiring.token, 1)).json()) as Subscription;
    expect((await subscribe(h, expiring.token, 2)).status).toBe(201);
    // The same browser in the other tenant, under a token that expires as well.
    const theirs = (await (await subscribe(h, elsewhere.token, 1)).json()) as Subscription;
    h.clock.nowMs += 60_000;

    // A new link of the tenant registers the same browser: the expired token's row is replaced.
    const fresh = await newToken(h, one.key);
    const taken = await subscribe(h, fresh.token, 1);
    expect(taken.status).toBe(201);
    const mine = (await taken.json()) as Subscription;
    expect(mine.id).not.toBe(first.id);
    const rows = await h.db.select().from(pushSubscriptions).all();
    const ofOne = rows.filter((r) => r.tenantId === one.tenantId);
    expect(ofOne.find((r) => r.endpoint === endpoint(1))).toMatchObject({
      id: mine.id,
      subscriberTokenId: fresh.id,
    });
    // The other tenant's expired row is untouched.
    expect(rows.find((r) => r.id === theirs.id)).toMatchObject({
      tenantId: two.tenantId,
      subscriberTokenId: elsewhere.id,
    });
    // The tenant holds 2 rows (one live, one expired): the expired one does not count.
    expect(ofOne).toHaveLength(2);
    const third = (await (await subscribe(h, fresh.token, 3)).json()) as Subscription;
    expect(third.endpoint).toBe(endpoint(3));
    expect((await subscribe(h, fresh.token, 4)).status).toBe(409);
    const deleted = await h.call(`/v1/subscriber/subscriptions/${third.id}`, fresh.token, {
      method: "DELETE",
    });
    expect(deleted.status).toBe(204);

    // A revoked token whose row outlived the revocation (a registration racing the revoke).
    const revoked = await newToken(h, one.key);
    await h.db
      .update(subscriberTokens)
      .set({ revokedAtMs: h.clock.nowMs })
      .where(eq(subscriberTokens.id, revoked.id));
    await h.db.insert(pushSubscriptions).values({
      id: "psub_0000000000000009",
      tenantId: one.tenantId,
      endpoint: endpoint(9),
      p256dh: keys.p256dh,
      auth: keys.auth,
      filters: {},
      createdAtMs: h.clock.nowMs,
      subscriberTokenId: revoked.id,
      expiresAtMs: h.clock.nowMs + 86_400_000,
    });
    const other = await newToken(h, one.key);
    const over = await subscribe(h, other.token, 9);
    expect(over.status).toBe(201);
    const after = await h.db
      .select()
      .from(pushSubscriptions)
      .where(eq(pushSubscriptions.endpoint, endpoint(9)))
      .all();
    expect(after.map((r) => r.subscriberTokenId)).toEqual([other.id]);

    // A live token's endpoint is still not taken over, nor one registered with an API key.
    expect((await subscribe(h, fresh.token, 9)).status).toBe(409);
    const byKey = await h.call("/v1/push/subscriptions", two.key, {
      method: "POST",
      json: { endpoint: endpoint("key"), keys },
    });
    expect(byKey.status).toBe(201);
    const inTwo = await newToken(h, two.key);
    expect((await subscribe(h, inTwo.token, "key")).status).toBe(409);
  });

  it("leaves an expired token's row out of the tenant's cap on the API-key route too", async () => {
    const h = await createHarness({ settings: { PUSH_SUBSCRIPTIONS_MAX: "1" } });
    const one = await h.tenant("one");
    const expiring = await newToken(h, one.key, {
      expiresAt: new Date(h.clock.nowMs + 60_000).toISOString(),
    });
    expect((await subscribe(h, expiring.token, 1)).status).toBe(201);
    const register = (n: number) =>
      h.call("/v1/push/subscriptions", one.key, {
        method: "POST",
        json: { endpoint: endpoint(`key${n}`), keys },
      });
    expect((await register(1)).status).toBe(409);
    h.clock.nowMs += 60_000;
    expect((await register(1)).status).toBe(201);
    expect((await register(2)).status).toBe(409);
  });

  it("reads and acknowledges only the alerts it was notified of", async () => {
    const h = await createHarness();
    const admin = await h.tenant();
    const a = await newToken(h, admin.key);
    const b = await newToken(h, admin.key);
    const subA = (await (await subscribe(h, a.token, 1)).json()) as Subscription;
    const subB = (await (await subscribe(h, b.token, 2)).json()) as Subscription;
    await notified(h, admin.tenantId, "00000000000000a1", subA.id);
    await notified(h, admin.tenantId, "00000000000000b1", subB.id);

    expect((await h.call("/v1/subscriber/alerts/00000000000000b1", a.token)).status).toBe(404);
    expect(
      (
        await h.call("/v1/subscriber/alerts/00000000000000b1/acknowledge", a.token, {
          method: "POST",
        })
      ).status,
    ).toBe(404);
    const seen = await h.call("/v1/subscriber/alerts/00000000000000a1", a.token);
    expect(seen.status).toBe(200);
    const acked = await h.call("/v1/subscriber/alerts/00000000000000a1/acknowledge", a.token, {
      method: "POST",
    });
    expect(acked.status).toBe(200);
    expect(await acked.json()).toMatchObject({
      id: "00000000000000a1",
      acknowledgedBy: a.id,
      acknowledgedAt: new Date(h.clock.nowMs).toISOString(),
    });
    // The other alert is untouched.
    const other = (await (await h.call("/v1/alerts/00000000000000b1", admin.key)).json()) as {
      acknowledgedAt: string | null;
    };
    expect(other.acknowledgedAt).toBeNull();
  });

  it("is refused by every other route, and API keys are refused by the subscriber routes", async () => {
    // Every route is tried with the wrong credential: above the per-address budget of failures
    // (tested on its own) so that each answer is the route's 401, not the address's 429.
    const h = await createHarness({ settings: { AUTH_FAILURE_RATE_LIMIT_BURST: "100000" } });
    const admin = await h.tenant();
    const { token } = await newToken(h, admin.key);
    const doc = (await (await h.app.request("/openapi.json")).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const paths = Object.entries(doc.paths).filter(([p]) => p.startsWith("/v1/"));
    let tried = 0;
    for (const [template, operations] of paths) {
      const path = template.replace(/\{[^}]+\}/g, "x");
      for (const method of Object.keys(operations)) {
        const res = await h.call(
          path,
          template.startsWith("/v1/subscriber/") || template === "/v1/subscriber"
            ? admin.key
            : token,
          {
            method: method.toUpperCase(),
            ...(method === "get" || method === "delete" ? {} : { json: {} }),
          },
        );
        expect(res.status, `${method} ${template}`).toBe(401);
        tried++;
      }
    }
    expect(tried).toBeGreaterThan(40);
  });

  it("rate-limits each token on its own budget", async () => {
    const h = await createHarness({ settings: { SUBSCRIBER_RATE_LIMIT_BURST: "3" } });
    const admin = await h.tenant();
    const a = await newToken(h, admin.key);
    const b = await newToken(h, admin.key);
    for (let i = 0; i < 3; i++) expect((await h.call("/v1/subscriber", a.token)).status).toBe(200);
    const limited = await h.call("/v1/subscriber", a.token);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("1");
    expect((await h.call("/v1/subscriber", b.token)).status).toBe(200);
  });

  it("keeps tenants apart: another tenant's admin cannot see or revoke a token", async () => {
    const h = await createHarness();
    const one = await h.tenant("one");
    const two = await h.tenant("two");
    const token = await newToken(h, one.key);
    expect((await h.call(`/v1/subscriber-tokens/${token.id}`, two.key)).status).toBe(404);
    expect(
      (await h.call(`/v1/subscriber-tokens/${token.id}`, two.key, { method: "DELETE" })).status,
    ).toBe(404);
    expect(
      ((await (await h.call("/v1/subscriber-tokens", two.key)).json()) as { data: unknown[] }).data,
    ).toEqual([]);
    expect((await h.call("/v1/subscriber", token.token)).status).toBe(200);
  });
});
